-- The sweeper: active jobs whose step message was lost (broker restarted or flushed, message
-- dropped after the broker's retries, enqueue failed after a commit). "Lost" means no live lease
-- and the next step overdue by more than the grace period, counted from when it was due or from
-- when a dead worker's lease expired, whichever is later: a job waiting on a long backoff, or
-- whose killed worker's message the broker is about to redeliver, is not lost.

-- name: claim_lost_jobs
-- Claiming moves next_step_at to now: the re-enqueued message is due at once, and neither a
-- second sweeper (SKIP LOCKED, then the re-checked WHERE) nor the next sweep takes the same job
-- again before another grace period passes without a step. The CTE is evaluated once (a
-- subquery in FROM may be rescanned per joined row, each rescan locking more rows than LIMIT).
WITH lost AS MATERIALIZED (
    SELECT id
      FROM sync_jobs
     WHERE status IN ('QUEUED', 'RUNNING')
       AND deliveries < %(max_deliveries)s
       AND (lease_token IS NULL OR lease_expires_at < now())
       AND GREATEST(next_step_at, lease_expires_at) < now() - make_interval(secs => %(grace_s)s)
     ORDER BY next_step_at
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
)
UPDATE sync_jobs AS j
   SET next_step_at = now(), requeues = j.requeues + 1
 WHERE j.id IN (SELECT id FROM lost)
RETURNING j.id, j.shop_id;

-- name: lock_spent_jobs
-- Lost jobs whose delivery budget is spent: another delivery would only fail them.
SELECT id, shop_id, deliveries, step_error
  FROM sync_jobs
 WHERE status IN ('QUEUED', 'RUNNING')
   AND deliveries >= %(max_deliveries)s
   AND (lease_token IS NULL OR lease_expires_at < now())
   AND GREATEST(next_step_at, lease_expires_at) < now() - make_interval(secs => %(grace_s)s)
 ORDER BY next_step_at
 LIMIT %(limit)s
   FOR UPDATE SKIP LOCKED;

-- name: fail_spent_job
UPDATE sync_jobs
   SET status = 'FAILED', finished_at = now(), error = %(error)s, updated_at = now(),
       lease_token = NULL, lease_expires_at = NULL
 WHERE id = %(job_id)s AND status IN ('QUEUED', 'RUNNING');
