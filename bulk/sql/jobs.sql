-- name: insert_job
-- The partial unique index on active jobs turns a second concurrent request into no row (a
-- job's range children are not the shop's active job: the index leaves them out).
INSERT INTO sync_jobs (shop_id, job_type, sync_mode, trigger, days, stale_after_mins, filter_since)
VALUES (
    %(shop_id)s, %(job_type)s, %(sync_mode)s, %(trigger)s, %(days)s, %(stale_after_mins)s,
    CASE
        WHEN %(sync_mode)s IN ('POPULATE', 'RECONCILE') AND %(days)s::integer IS NOT NULL
            THEN now() - make_interval(days => %(days)s::integer)
        WHEN %(sync_mode)s = 'UPDATE'
            THEN now() - make_interval(mins => %(stale_after_mins)s::integer)
    END
)
ON CONFLICT (shop_id) WHERE status IN ('QUEUED', 'RUNNING') AND parent_job_id IS NULL DO NOTHING
RETURNING *;

-- name: active_job_for_shop
SELECT * FROM sync_jobs
 WHERE shop_id = %(shop_id)s AND status IN ('QUEUED', 'RUNNING') AND parent_job_id IS NULL;

-- name: get_job
SELECT * FROM sync_jobs WHERE id = %(job_id)s;

-- name: list_jobs
-- Keyset pagination: the rows strictly after (after_created_at, after_id) in the same order.
-- Range children are listed only as their parent (its stats are theirs summed).
SELECT *
  FROM sync_jobs
 WHERE parent_job_id IS NULL
   AND (%(shop_id)s::bigint IS NULL OR shop_id = %(shop_id)s::bigint)
   AND (%(tenant_id)s::bigint IS NULL
        OR shop_id IN (SELECT id FROM shops WHERE tenant_id = %(tenant_id)s::bigint))
   AND (%(status)s::text IS NULL OR status = %(status)s::text)
   AND (%(sync_mode)s::text IS NULL OR sync_mode = %(sync_mode)s::text)
   AND (%(trigger)s::text IS NULL OR trigger = %(trigger)s::text)
   AND (%(after_id)s::bigint IS NULL
        OR (created_at, id) < (%(after_created_at)s::timestamptz, %(after_id)s::bigint))
 ORDER BY created_at DESC, id DESC
 LIMIT %(first)s;

-- name: active_job_for_operation
SELECT * FROM sync_jobs
 WHERE bulk_operation_id = %(operation_id)s AND status IN ('QUEUED', 'RUNNING');

-- name: count_jobs_by_state
-- Every tenant's jobs by status, mode and trigger: /metrics's gauge (one scan, cached there).
-- A job split into ranges counts once, as its parent.
SELECT status, sync_mode, trigger, count(*) AS jobs
FROM sync_jobs
WHERE parent_job_id IS NULL
GROUP BY status, sync_mode, trigger;
