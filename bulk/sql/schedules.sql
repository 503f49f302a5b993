-- Sync schedules and their slot ledger (migration 0012). Times of the scheduler's turn are
-- bound as %(now)s: its clock, so tests can move it.

-- name: get_schedule
SELECT * FROM sync_schedules WHERE shop_id = %(shop_id)s;

-- name: put_schedule
INSERT INTO sync_schedules (
    shop_id, update_every_s, stale_margin_s, update_anchor_at, next_update_at,
    reconcile_every_s, reconcile_anchor_at, next_reconcile_at, active_since,
    paused, pause_cause, paused_reason, paused_at
) VALUES (
    %(shop_id)s, %(update_every_s)s, %(stale_margin_s)s, %(update_anchor_at)s, %(next_update_at)s,
    %(reconcile_every_s)s, %(reconcile_anchor_at)s, %(next_reconcile_at)s, %(now)s,
    %(paused)s, %(pause_cause)s, %(paused_reason)s, %(paused_at)s
)
ON CONFLICT (shop_id) DO UPDATE
   SET update_every_s = EXCLUDED.update_every_s,
       stale_margin_s = EXCLUDED.stale_margin_s,
       update_anchor_at = EXCLUDED.update_anchor_at,
       next_update_at = EXCLUDED.next_update_at,
       reconcile_every_s = EXCLUDED.reconcile_every_s,
       reconcile_anchor_at = EXCLUDED.reconcile_anchor_at,
       next_reconcile_at = EXCLUDED.next_reconcile_at,
       active_since = EXCLUDED.active_since,
       -- A pause that goes on keeps its cause, reason and start.
       paused = EXCLUDED.paused,
       pause_cause = CASE WHEN sync_schedules.paused AND EXCLUDED.paused
                          THEN sync_schedules.pause_cause ELSE EXCLUDED.pause_cause END,
       paused_reason = CASE WHEN sync_schedules.paused AND EXCLUDED.paused
                            THEN sync_schedules.paused_reason ELSE EXCLUDED.paused_reason END,
       paused_at = CASE WHEN sync_schedules.paused AND EXCLUDED.paused
                        THEN sync_schedules.paused_at ELSE EXCLUDED.paused_at END,
       updated_at = now()
RETURNING *;

-- name: delete_schedule
DELETE FROM sync_schedules WHERE shop_id = %(shop_id)s;

-- name: lock_due_schedule
-- One due schedule, locked: a second scheduler skips it and takes another. The WHERE is
-- re-checked on the row's newest version, so a slot another scheduler just handled (its
-- next_*_at moved on) is not taken again.
SELECT *
  FROM sync_schedules
 WHERE LEAST(next_update_at, next_reconcile_at) <= %(now)s
   AND shop_id <> ALL(%(skip)s::bigint[])
 ORDER BY LEAST(next_update_at, next_reconcile_at), shop_id
 LIMIT 1
   FOR UPDATE SKIP LOCKED;

-- name: slot_recorded
SELECT outcome FROM schedule_slots
 WHERE shop_id = %(shop_id)s AND kind = %(kind)s AND slot_at = %(slot_at)s;

-- name: record_slot
-- A plain INSERT: a second row for the same slot is a unique violation, which rolls back the
-- whole claim (and the job created with it).
INSERT INTO schedule_slots (shop_id, kind, slot_at, outcome, job_id)
VALUES (%(shop_id)s, %(kind)s, %(slot_at)s, %(outcome)s, %(job_id)s);

-- name: set_next_update
UPDATE sync_schedules SET next_update_at = %(next_at)s WHERE shop_id = %(shop_id)s;

-- name: set_next_reconcile
UPDATE sync_schedules SET next_reconcile_at = %(next_at)s WHERE shop_id = %(shop_id)s;

-- name: last_completed_update_slot
-- The newest UPDATE slot whose job completed: the next UPDATE's window reaches back to it, so
-- a skipped or failed slot leaves no gap.
SELECT max(s.slot_at) AS last_at
  FROM schedule_slots AS s
  JOIN sync_jobs AS j ON j.id = s.job_id
 WHERE s.shop_id = %(shop_id)s AND s.kind = 'UPDATE' AND s.outcome = 'STARTED'
   AND j.status = 'COMPLETED' AND s.slot_at < %(slot_at)s;

-- name: recent_slots
SELECT * FROM schedule_slots
 WHERE shop_id = %(shop_id)s
 ORDER BY slot_at DESC, kind
 LIMIT %(first)s;

-- name: last_started_slot
SELECT * FROM schedule_slots
 WHERE shop_id = %(shop_id)s AND outcome = 'STARTED'
 ORDER BY slot_at DESC, kind
 LIMIT 1;

-- name: prune_slots
-- Slots are never reconsidered once next_*_at has moved past them: old rows are history only.
DELETE FROM schedule_slots WHERE slot_at < %(before)s;

-- name: pause_unavailable_shop
-- A job failed on a frozen or locked shop: its schedule stops starting jobs until a manual
-- sync completes. An admin's pause keeps its own cause.
UPDATE sync_schedules
   SET paused = true, pause_cause = 'SHOP_UNAVAILABLE', paused_reason = %(reason)s,
       paused_at = now(), updated_at = now()
 WHERE shop_id = %(shop_id)s AND NOT paused
RETURNING shop_id;

-- name: resume_available_shop
UPDATE sync_schedules
   SET paused = false, pause_cause = NULL, paused_reason = NULL, paused_at = NULL,
       updated_at = now()
 WHERE shop_id = %(shop_id)s AND pause_cause = 'SHOP_UNAVAILABLE'
RETURNING shop_id;

-- name: get_schedules
-- Several shops' schedules at once (Shop.schedule of a list of shops), scoped like the shops:
-- a tenant's only (tenant_id NULL: the system, every shop).
SELECT s.*
  FROM sync_schedules AS s
  JOIN shops AS sh ON sh.id = s.shop_id
 WHERE s.shop_id = ANY(%(shop_ids)s::bigint[])
   AND (%(tenant_id)s::bigint IS NULL OR sh.tenant_id = %(tenant_id)s::bigint);

-- name: last_started_slots
SELECT DISTINCT ON (shop_id) *
  FROM schedule_slots
 WHERE shop_id = ANY(%(shop_ids)s::bigint[]) AND outcome = 'STARTED'
 ORDER BY shop_id, slot_at DESC, kind;
