-- Named queries of the RECONCILE mode (bulk/ingest/reconcile.py): the ids an export lists are
-- staged in reconcile_ids; at the end, the shop's live orders of the export's window that it
-- did not list are marked deleted, with their line items. Values are always bound parameters.

-- name: stage_ids
-- The batch's order ids (pg_temp.ingest_batch, staged by the ingest) into the job's set; an id
-- already staged (a repeated line, a batch committed again) is not counted twice.
WITH staged AS (
    INSERT INTO reconcile_ids (job_id, order_id)
    SELECT %(job_id)s, s.id FROM pg_temp.ingest_batch AS s WHERE s.kind = 'o'
    ON CONFLICT (job_id, order_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM staged), (SELECT count(*) FROM pg_temp.ingest_batch)

-- name: export_state
-- What the end of a RECONCILE checks before it trusts the export (the job row is locked by the
-- fence in the same transaction).
SELECT j.bulk_status, j.bulk_created_at, j.filter_since, j.root_object_count,
       j.result_file_size, j.checkpoint_byte,
       (SELECT count(*) FROM reconcile_ids AS r WHERE r.job_id = j.id) AS staged,
       (SELECT count(*) FROM dead_letters AS d
         WHERE d.job_id = j.id AND d.resolved_at IS NULL) AS open_dead_letters
FROM sync_jobs AS j
WHERE j.id = %(job_id)s

-- name: window_counts
-- The shop's live orders inside the export's window, and how many of those it did not list.
-- The window: created at or after the job's filter instant (if any) and before the second the
-- operation was created (an order created after the export began is not in it); an order the
-- mirror saw updated after that instant was alive then, so its absence is not trusted either.
SELECT count(*),
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM reconcile_ids AS r WHERE r.job_id = %(job_id)s AND r.order_id = o.id))
FROM orders AS o
WHERE o.shop_id = %(shop_id)s
  AND o.deleted_at IS NULL
  AND o.created_at < date_trunc('second', %(until)s::timestamptz)
  AND o.updated_at < date_trunc('second', %(until)s::timestamptz)
  AND (%(since)s::timestamptz IS NULL OR o.created_at >= %(since)s::timestamptz)

-- name: mark_missing_deleted
-- The same orders as window_counts' second count: marked deleted (kept for audit), their line
-- items and children too. Returns how many orders and line items.
WITH gone AS (
    UPDATE orders AS o
    SET deleted_at = now()
    WHERE o.shop_id = %(shop_id)s
      AND o.deleted_at IS NULL
      AND o.created_at < date_trunc('second', %(until)s::timestamptz)
      AND o.updated_at < date_trunc('second', %(until)s::timestamptz)
      AND (%(since)s::timestamptz IS NULL OR o.created_at >= %(since)s::timestamptz)
      AND NOT EXISTS (
          SELECT 1 FROM reconcile_ids AS r WHERE r.job_id = %(job_id)s AND r.order_id = o.id)
    RETURNING o.id
), items AS (
    UPDATE line_items AS li
    SET deleted_at = now()
    FROM gone AS g
    WHERE li.shop_id = %(shop_id)s AND li.order_id = g.id AND li.deleted_at IS NULL
    RETURNING 1
), children AS (
    UPDATE order_children AS c
    SET deleted_at = now()
    FROM gone AS g
    WHERE c.shop_id = %(shop_id)s AND c.order_id = g.id AND c.deleted_at IS NULL
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM items)

-- name: drop_ids
DELETE FROM reconcile_ids WHERE job_id = %(job_id)s
