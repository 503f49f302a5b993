-- Checkpoints of finished jobs: cleared on request or after their TTL, or handed over to a new
-- job that resumes a failed job's file. A cleared job keeps its stats (history); its checkpoint,
-- result reference and operation id are gone, so nothing can resume from it.

-- name: clear_checkpoint
-- Only a finished job: an active one's checkpoint is its worker's to move.
UPDATE sync_jobs
   SET checkpoint_line = 0,
       checkpoint_byte = 0,
       checkpoint_at = NULL,
       bulk_operation_id = NULL,
       result_url = NULL,
       result_file_size = NULL,
       checkpoint_cleared_at = now(),
       checkpoint_cleared_reason = %(reason)s,
       updated_at = now()
 WHERE id = %(job_id)s AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
RETURNING *;

-- name: expire_checkpoints
-- Claimed with SKIP LOCKED: two schedulers never expire (and log) the same job twice.
WITH due AS (
    SELECT id
      FROM sync_jobs
     WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED')
       AND checkpoint_byte > 0
       AND coalesce(checkpoint_at, finished_at) < %(cutoff)s::timestamptz
     ORDER BY coalesce(checkpoint_at, finished_at)
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
)
UPDATE sync_jobs AS j
   SET checkpoint_line = 0,
       checkpoint_byte = 0,
       checkpoint_at = NULL,
       bulk_operation_id = NULL,
       result_url = NULL,
       result_file_size = NULL,
       checkpoint_cleared_at = now(),
       checkpoint_cleared_reason = %(reason)s,
       updated_at = now()
  FROM due
 WHERE j.id = due.id
RETURNING j.id, j.shop_id;

-- name: adopt_failed_checkpoint
-- The new QUEUED job takes over the shop's last job's file when that job FAILED mid-file with
-- the same request and its operation's result is still downloadable (Shopify keeps it for
-- ``result_lifetime_s`` after completion; we saw it COMPLETED at bulk_status_since, later than
-- it completed, and a late expiry falls back to a fresh operation anyway). The failed job's
-- checkpoint is consumed in the same statement, under its row lock: no two jobs resume one file.
WITH new AS (
    SELECT * FROM sync_jobs
     WHERE id = %(job_id)s AND status = 'QUEUED' AND bulk_operation_id IS NULL
), last AS (
    SELECT j.*
      FROM sync_jobs AS j, new
     WHERE j.shop_id = new.shop_id AND j.id <> new.id
       AND j.parent_job_id IS NULL  -- a range child's file is its parent's, never resumed alone
     ORDER BY j.created_at DESC, j.id DESC
     LIMIT 1
), consumed AS (
    UPDATE sync_jobs AS f
       SET checkpoint_line = 0,
           checkpoint_byte = 0,
           checkpoint_at = NULL,
           bulk_operation_id = NULL,
           result_url = NULL,
           result_file_size = NULL,
           checkpoint_cleared_at = now(),
           checkpoint_cleared_reason = 'resumed by job ' || new.id,
           updated_at = now()
      FROM last, new
     WHERE f.id = last.id
       AND f.status = 'FAILED'
       AND f.checkpoint_byte > 0
       AND f.checkpoint_cleared_at IS NULL
       AND f.bulk_operation_id IS NOT NULL
       AND f.bulk_status = 'COMPLETED'
       AND f.bulk_status_since > now() - make_interval(secs => %(result_lifetime_s)s)
       AND f.job_type = new.job_type
       AND f.sync_mode = new.sync_mode
       -- RECONCILE compares the whole export with the mirror: it never starts mid-file.
       AND new.sync_mode <> 'RECONCILE'
       AND f.days IS NOT DISTINCT FROM new.days
       AND f.stale_after_mins IS NOT DISTINCT FROM new.stale_after_mins
    RETURNING f.id
)
UPDATE sync_jobs AS n
   SET trigger = 'RETRY',
       resumed_from_job_id = last.id,
       -- The file was exported for the failed job's window: the job now describes that window.
       filter_since = last.filter_since,
       bulk_operation_id = last.bulk_operation_id,
       bulk_status = 'COMPLETED',
       bulk_status_since = now(),
       bulk_submitted_at = last.bulk_submitted_at,
       result_file_size = last.result_file_size,
       object_count = last.object_count,
       root_object_count = last.root_object_count,
       checkpoint_line = last.checkpoint_line,
       checkpoint_byte = last.checkpoint_byte,
       -- Where each part of the failed job's merge stood (see bulk/ingest/engine.py).
       ingest_part_lines = last.ingest_part_lines,
       ingest_part_bytes = last.ingest_part_bytes,
       checkpoint_at = now(),
       -- The stored versions of the file's rows are numbered in the failed job's epoch.
       ingest_epoch = last.ingest_epoch,
       lines_read = last.lines_read,
       bytes_read = last.bytes_read,
       orders_created = last.orders_created,
       orders_updated = last.orders_updated,
       orders_unchanged = last.orders_unchanged,
       orders_skipped = last.orders_skipped,
       line_items_written = last.line_items_written,
       line_items_skipped = last.line_items_skipped,
       line_items_deleted = last.line_items_deleted,
       failed_lines = last.failed_lines,
       lines_superseded = last.lines_superseded,
       updated_at = now()
  FROM consumed JOIN last ON last.id = consumed.id
 WHERE n.id = %(job_id)s
RETURNING n.*;

-- name: hand_over_job_orders
-- The per-order decisions of the file's first part: its line items still to come follow them.
UPDATE job_orders SET job_id = %(job_id)s WHERE job_id = %(from_job_id)s;

-- name: hand_over_pending_line_items
UPDATE pending_line_items SET job_id = %(job_id)s WHERE job_id = %(from_job_id)s;

-- name: hand_over_dead_letters
-- Open dead letters of the file's first part: counted in failed_lines, and they keep the end
-- of file from deleting their orders' line items.
UPDATE dead_letters SET job_id = %(job_id)s
 WHERE job_id = %(from_job_id)s AND resolved_at IS NULL;

-- name: hand_over_orders
-- Rows the failed job wrote are the resumed job's: the end of file's clean-up and POPULATE's
-- "rewrite only what this job created" recognise them.
UPDATE orders SET synced_job_id = %(job_id)s
 WHERE shop_id = %(shop_id)s AND synced_job_id = %(from_job_id)s;

-- name: hand_over_line_items
UPDATE line_items SET synced_job_id = %(job_id)s
 WHERE shop_id = %(shop_id)s AND synced_job_id = %(from_job_id)s;

-- name: hand_over_order_children
UPDATE order_children SET synced_job_id = %(job_id)s
 WHERE shop_id = %(shop_id)s AND synced_job_id = %(from_job_id)s;

-- name: remember_adopted_operation
INSERT INTO sync_job_operations (job_id, shop_id, operation_id, role)
VALUES (%(job_id)s, %(shop_id)s, %(operation_id)s, 'adopted')
ON CONFLICT (job_id, operation_id) DO NOTHING;
