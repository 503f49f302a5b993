-- A job split into created_at ranges (bulk/ranges.py): its children, one per range, each a
-- whole job of its own (operation, checkpoint, lease, fence). Writes are fenced on the parent's
-- lease; cancelling locks the children before the parent (the order their commits take).

-- name: plan
-- Once per job: the operations it runs with (1: itself, no children).
UPDATE sync_jobs
   SET range_count = %(range_count)s, updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
   AND range_count IS NULL AND bulk_operation_id IS NULL
RETURNING id;

-- name: insert_children
-- Same request as the parent (mode, trigger, days, the filter instant fixed at its creation).
INSERT INTO sync_jobs (
    shop_id, job_type, sync_mode, trigger, days, stale_after_mins, filter_since,
    parent_job_id, range_index, range_created_from, range_created_before
)
SELECT p.shop_id, p.job_type, p.sync_mode, p.trigger, p.days, p.stale_after_mins,
       p.filter_since, p.id, r.range_index, r.created_from, r.created_before
  FROM sync_jobs AS p,
       unnest(%(range_index)s::integer[], %(created_from)s::timestamptz[],
              %(created_before)s::timestamptz[]) AS r (range_index, created_from, created_before)
 WHERE p.id = %(job_id)s AND p.lease_token = %(lease)s AND p.status = 'RUNNING'
 ORDER BY r.range_index
RETURNING id;

-- name: children
SELECT * FROM sync_jobs WHERE parent_job_id = %(job_id)s ORDER BY range_index;

-- name: cancel_children
-- Before the parent's own row, in the same transaction (see the lock order above).
WITH locked AS (
    SELECT id FROM sync_jobs
     WHERE parent_job_id = %(job_id)s AND status IN ('QUEUED', 'RUNNING')
     ORDER BY id
       FOR UPDATE
)
UPDATE sync_jobs AS c
   SET status = 'CANCELLED', finished_at = now(), updated_at = now()
  FROM locked
 WHERE c.id = locked.id
RETURNING c.id, c.shop_id, c.bulk_operation_id, c.bulk_status;

-- name: record_summary
-- The parent's bulk_status says where its ranges' exports are: the least advanced one's status.
UPDATE sync_jobs
   SET bulk_status = %(bulk_status)s,
       bulk_status_since = now(),
       updated_at = now()
 WHERE id = %(job_id)s AND lease_token = %(lease)s AND status = 'RUNNING'
   AND bulk_status IS DISTINCT FROM %(bulk_status)s;
