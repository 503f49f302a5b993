-- Named queries of the ingest engine (the bulk/ingest/ package). Values are always bound parameters.
-- pg_temp.ingest_batch holds the good lines of the batch being ingested (emptied at each
-- commit), as Python's ijson pass classified them: kind ('o' order, 'l' line item, 'c' a node of
-- a connection added to the order, e.g. a metafield), id, parent id, and the original line as
-- text. Line items and added nodes ("children") follow the same rules; they land in line_items
-- and order_children. Each line is parsed as jsonb once, where it is written.
-- The temp table has no statistics and job_orders' are stale while a job grows it, so per-line
-- lookups into job_orders are LATERAL subqueries fenced with OFFSET 0: one index probe per line,
-- whatever the estimates say. `CROSS JOIN LATERAL (SELECT doc::jsonb AS d OFFSET 0)` parses a
-- line once per row (without OFFSET 0 the planner would inline the cast into every field).
-- {{order_...}} and {{line_item_...}} are the column lists, extractions from the parsed line `d`
-- and upsert assignments rendered from bulk/order_fields.py when the file is loaded (bulk.sql).

-- name: prepare_batch
SET LOCAL timezone = 'UTC';
SET LOCAL work_mem = '64MB';
CREATE TEMP TABLE IF NOT EXISTS ingest_batch (
    line_no      bigint NOT NULL,
    byte_offset  bigint,
    kind         "char" NOT NULL,
    id           text NOT NULL,
    parent_id    text,
    first_line   bigint,    -- orders: the order's first, last and every line in the batch
    last_line    bigint,
    lines        bigint[],  -- (NULL when the order has one line in the batch)
    occ_line     bigint,    -- line items: the line of their order they belong to, if in the batch
    fallback     boolean,   -- line items: may belong to the order's first line in the batch
    doc          text NOT NULL
) ON COMMIT DELETE ROWS

-- name: copy_batch
COPY pg_temp.ingest_batch (
    line_no, byte_offset, kind, id, parent_id, first_line, last_line, lines, occ_line, fallback,
    doc
) FROM STDIN

-- name: set_aside_problems
-- After a merge failed on a value: find every staged line Postgres cannot parse as jsonb or
-- whose values cannot be cast, remove it from the batch and return it with the reason. The
-- paths and types to try are bound (bulk.order_fields.cast_checks).
WITH checked AS MATERIALIZED (
    SELECT line_no, byte_offset, kind, id, parent_id, doc,
        CASE WHEN kind = 'o'
            THEN ingest_line_problem(doc, %(order_paths)s::text[], %(order_types)s::text[])
            WHEN kind = 'l'
            THEN ingest_line_problem(doc, %(line_item_paths)s::text[], %(line_item_types)s::text[])
            ELSE ingest_line_problem(doc, '{}'::text[], '{}'::text[])
        END AS reason
    FROM pg_temp.ingest_batch
), bad AS (
    SELECT * FROM checked WHERE reason IS NOT NULL
), removed AS (
    DELETE FROM pg_temp.ingest_batch AS s
    USING bad AS b
    WHERE s.line_no = b.line_no
)
SELECT line_no, byte_offset, kind, reason, doc, left(id, 1024), left(parent_id, 1024)
FROM bad
ORDER BY line_no

-- name: undecided_line_items
-- Staged line items and children whose order the job has not decided (after merge_batch
-- without parking).
SELECT s.line_no, s.parent_id
FROM pg_temp.ingest_batch AS s
WHERE s.kind IN ('l', 'c')
  AND NOT EXISTS (
      SELECT 1 FROM job_orders AS j WHERE j.job_id = %(job_id)s AND j.order_id = s.parent_id)
ORDER BY s.line_no

-- name: merge_batch
-- The whole batch in one statement. Orders (one staged row per order: the batch's newest line):
-- new ones are inserted; a stored one is rewritten when the incoming updatedAt is newer (UPDATE,
-- FULL; POPULATE only for orders this job wrote), or equal when this job wrote it (the later line
-- wins a tie; not on a dead-letter retry); one marked deleted only by a version newer than its
-- deletion (it comes back, its line items with it). Every order's decision follows from what the upsert
-- did and the job's earlier decision for it, and is recorded in job_orders with the version the
-- job keeps (win_version) and the order's last line so far. A line item belongs to one line of
-- its order (see bulk/ingest/parse.py): its staged occ_line, else the order's last line of an
-- earlier batch, else (fallback) the order's first line here. It is written if its order was
-- created or updated and that line is the kept version, skipped if not, parked while no line of
-- its order was read (their values cast here too, so a bad value is caught on the line's own
-- batch). On a dead-letter retry (not park) a line item belongs to the nearest preceding line of
-- its order among all those read (job_orders.lines) and is written only while the stored order
-- is still the one this job wrote. Parked line items whose
-- order comes in this batch belong to its first line here, and come back (unless a line of this
-- batch has the same id: the later line wins; if that line names another parent, the parked row
-- is left for it to overwrite). Children (kind 'c') go through every step a line item does, into
-- order_children (always an upsert), parked in pending_line_items with kind 'c'. Returns the
-- changes of the job's order counts, then line items and children written, parked, brought back,
-- parked ones dropped for a later line, and repeated orders.
WITH epoch AS (
    SELECT ingest_epoch::bigint << 40 AS base FROM sync_jobs WHERE id = %(job_id)s
), batch_orders AS (
    -- A retry stages dead letters under their ids: n is the line's number in the file.
    SELECT s.id, s.first_line, s.last_line, s.lines,
        CASE WHEN %(park)s::boolean THEN s.line_no
            ELSE (SELECT l.line_number FROM dead_letters AS l WHERE l.id = s.line_no) END AS n
    FROM pg_temp.ingest_batch AS s WHERE s.kind = 'o'
), prev AS (
    SELECT j.order_id, j.action, j.win_version, j.last_line, j.lines
    FROM batch_orders AS b
    JOIN LATERAL (
        SELECT j.order_id, j.action, j.win_version, j.last_line, j.lines FROM job_orders AS j
        WHERE j.job_id = %(job_id)s AND j.order_id = b.id OFFSET 0
    ) AS j ON true
), written AS (
    INSERT INTO orders AS o (
        shop_id, id, {{order_columns}}, raw, synced_job_id, synced_at
    )
    SELECT %(shop_id)s, s.id,
        {{order_values}},
        d, %(job_id)s, now()
    FROM pg_temp.ingest_batch AS s
    CROSS JOIN LATERAL (SELECT s.doc::jsonb AS d OFFSET 0) AS parsed
    WHERE s.kind = 'o'
    ON CONFLICT (shop_id, id) DO UPDATE SET
        {{order_updates}},
        raw = EXCLUDED.raw,
        synced_job_id = EXCLUDED.synced_job_id,
        synced_at = EXCLUDED.synced_at,
        deleted_at = NULL
    WHERE (%(mode)s::text <> 'POPULATE' OR o.synced_job_id = %(job_id)s)
      -- An order marked deleted comes back only with a version newer than the deletion: an
      -- export that began before it was deleted still lists it, and must not undo that.
      AND (o.deleted_at IS NULL OR EXCLUDED.updated_at > o.deleted_at)
      AND (EXCLUDED.updated_at > o.updated_at
           OR (o.updated_at IS NULL AND EXCLUDED.updated_at IS NOT NULL)
           OR (%(park)s::boolean AND o.synced_job_id = %(job_id)s
               AND EXCLUDED.updated_at = o.updated_at))
    RETURNING o.id, o.xmax = 0 AS inserted
), decided AS (
    SELECT b.id, b.first_line, p.action AS prev_action, p.last_line AS prev_last,
        CASE WHEN w.id IS NOT NULL OR p.order_id IS NULL
            THEN (SELECT base FROM epoch) + b.n ELSE p.win_version END AS win_version,
        CASE WHEN %(park)s::boolean THEN b.last_line ELSE b.n END AS last_line,
        -- NULL while the order was read once (the common case: nothing stored).
        CASE WHEN p.order_id IS NOT NULL OR b.lines IS NOT NULL OR NOT %(park)s::boolean THEN
            coalesce(p.lines, CASE WHEN p.order_id IS NOT NULL THEN ARRAY[p.last_line] END, '{}')
            || CASE WHEN %(park)s::boolean
                THEN coalesce(b.lines, ARRAY[b.first_line]) ELSE ARRAY[b.n] END
        END AS lines,
        CASE
            WHEN %(mode)s::text = 'POPULATE' THEN
                CASE WHEN w.inserted IS NOT NULL THEN 'created' ELSE coalesce(p.action, 'skipped') END
            WHEN p.action IN ('created', 'updated') THEN p.action
            WHEN w.inserted THEN 'created'
            WHEN NOT w.inserted THEN 'updated'
            ELSE coalesce(p.action, 'unchanged')
        END AS action,
        coalesce(w.inserted, false) AS fresh,
        w.id IS NOT NULL AS rewritten
    FROM batch_orders AS b
    LEFT JOIN prev AS p ON p.order_id = b.id
    LEFT JOIN written AS w ON w.id = b.id
), recorded AS (
    INSERT INTO job_orders AS j (job_id, order_id, action, win_version, last_line, lines)
    SELECT %(job_id)s, id, action, win_version, last_line, lines FROM decided
    ON CONFLICT (job_id, order_id) DO UPDATE SET
        action = EXCLUDED.action,
        win_version = EXCLUDED.win_version,
        last_line = greatest(j.last_line, EXCLUDED.last_line),
        lines = EXCLUDED.lines
), resolved AS (
    DELETE FROM pending_line_items AS p
    WHERE p.job_id = %(job_id)s
      AND EXISTS (SELECT 1 FROM pending_line_items AS q WHERE q.job_id = %(job_id)s)
      AND p.parent_id IN (SELECT id FROM batch_orders)
      AND NOT EXISTS (
          SELECT 1 FROM pg_temp.ingest_batch AS s
          WHERE s.id = p.id AND s.parent_id IS DISTINCT FROM p.parent_id)
    RETURNING p.id, p.parent_id, p.doc, p.kind
), revived AS (
    SELECT r.id, r.parent_id, r.doc, r.kind
    FROM resolved AS r
    WHERE NOT EXISTS (SELECT 1 FROM pg_temp.ingest_batch AS s WHERE s.id = r.id)
), items AS (
    SELECT s.id, s.kind, s.parent_id, s.line_no, s.byte_offset, s.doc,
        coalesce(d.action, earlier.action) AS action, coalesce(d.fresh, false) AS fresh,
        CASE
            WHEN NOT %(park)s::boolean THEN (SELECT base FROM epoch) + (
                -- A retried line item: the nearest preceding line of its order, else the first.
                SELECT coalesce(max(x) FILTER (WHERE x < l.line_number), min(x))
                FROM unnest(coalesce(d.lines, earlier.lines, ARRAY[earlier.last_line])) AS x,
                    dead_letters AS l
                WHERE l.id = s.line_no)
            WHEN s.occ_line IS NOT NULL THEN (SELECT base FROM epoch) + s.occ_line
            WHEN d.id IS NOT NULL THEN (SELECT base FROM epoch)
                + coalesce(d.prev_last, CASE WHEN s.fallback THEN d.first_line END)
            ELSE (SELECT base FROM epoch) + earlier.last_line
        END AS version,
        coalesce(d.win_version, earlier.win_version) AS win_version,
        coalesce(d.rewritten, false) AS rewritten
    FROM pg_temp.ingest_batch AS s
    LEFT JOIN decided AS d ON d.id = s.parent_id
    LEFT JOIN LATERAL (
        SELECT j.action, j.win_version, j.last_line, j.lines FROM job_orders AS j
        WHERE d.id IS NULL AND j.job_id = %(job_id)s AND j.order_id = s.parent_id OFFSET 0
    ) AS earlier ON true
    WHERE s.kind IN ('l', 'c')
), kept AS (
    -- The line items and added connections' nodes to write: those of an order this job created
    -- or updated that belong to its kept version (on a retry, only while the stored order is
    -- still the one the job wrote), and parked ones brought back with their order.
    SELECT i.kind, i.id, i.parent_id, i.doc, i.fresh, i.version
    FROM items AS i
    WHERE i.action IN ('created', 'updated')
      AND i.version = i.win_version
      AND (%(park)s::boolean OR i.rewritten OR EXISTS (
          SELECT 1 FROM orders AS o
          WHERE o.shop_id = %(shop_id)s AND o.id = i.parent_id
            AND o.synced_job_id = %(job_id)s))
    UNION ALL
    SELECT r.kind, r.id, r.parent_id, r.doc::text, false, d.win_version
    FROM revived AS r
    JOIN decided AS d ON d.id = r.parent_id
    WHERE d.action IN ('created', 'updated')
      AND (SELECT base FROM epoch) + d.first_line = d.win_version
), item_rows AS (
    SELECT k.id, k.parent_id AS order_id, k.version,
        {{line_item_named_values}},
        w.d AS raw,
        k.fresh AND %(trust_fresh)s::boolean AS fresh
    FROM kept AS k
    CROSS JOIN LATERAL (SELECT k.doc::jsonb AS d OFFSET 0) AS w
    WHERE k.kind = 'l'
), child_rows AS (
    SELECT k.id, k.parent_id AS order_id, k.version, k.doc::jsonb AS raw
    FROM kept AS k
    WHERE k.kind = 'c'
), upserted_children AS (
    INSERT INTO order_children AS c (
        shop_id, id, order_id, connection, raw, synced_job_id, synced_version, synced_at
    )
    SELECT %(shop_id)s, id, order_id, split_part(id, '/', 4), raw, %(job_id)s, version, now()
    FROM child_rows
    ON CONFLICT (shop_id, id) DO UPDATE SET
        order_id = EXCLUDED.order_id,
        connection = EXCLUDED.connection,
        raw = EXCLUDED.raw,
        synced_job_id = EXCLUDED.synced_job_id,
        synced_version = EXCLUDED.synced_version,
        synced_at = EXCLUDED.synced_at,
        deleted_at = NULL
    RETURNING 1
), inserted_items AS (
    -- Line items of an order this statement inserted cannot exist yet: a plain INSERT, cheaper
    -- than ON CONFLICT's speculative insertion (if one does exist, the caller runs this again
    -- with trust_fresh false).
    INSERT INTO line_items (
        shop_id, id, order_id, {{line_item_columns}}, raw, synced_job_id, synced_version,
        synced_at
    )
    SELECT %(shop_id)s, id, order_id, {{line_item_columns}}, raw, %(job_id)s, version, now()
    FROM item_rows
    WHERE fresh
    RETURNING 1
), upserted_items AS (
    INSERT INTO line_items AS li (
        shop_id, id, order_id, {{line_item_columns}}, raw, synced_job_id, synced_version,
        synced_at
    )
    SELECT %(shop_id)s, id, order_id, {{line_item_columns}}, raw, %(job_id)s, version, now()
    FROM item_rows
    WHERE NOT fresh
    ON CONFLICT (shop_id, id) DO UPDATE SET
        order_id = EXCLUDED.order_id,
        {{line_item_updates}},
        raw = EXCLUDED.raw,
        synced_job_id = EXCLUDED.synced_job_id,
        synced_version = EXCLUDED.synced_version,
        synced_at = EXCLUDED.synced_at,
        deleted_at = NULL
    RETURNING 1
), parked AS (
    INSERT INTO pending_line_items AS p (
        job_id, id, kind, parent_id, line_number, byte_offset, doc
    )
    SELECT %(job_id)s, i.id, i.kind, i.parent_id, i.line_no, i.byte_offset, parsed.d
    FROM items AS i
    CROSS JOIN LATERAL (SELECT i.doc::jsonb AS d OFFSET 0) AS parsed
    WHERE i.action IS NULL
      AND %(park)s::boolean
      AND CASE WHEN i.kind = 'c' THEN true ELSE {{line_item_casts_succeed}} END
    ON CONFLICT (job_id, id) DO UPDATE SET
        kind = EXCLUDED.kind,
        parent_id = EXCLUDED.parent_id,
        line_number = EXCLUDED.line_number,
        byte_offset = EXCLUDED.byte_offset,
        doc = EXCLUDED.doc
    RETURNING 1
)
SELECT
    count(*) FILTER (WHERE action = 'created') - count(*) FILTER (WHERE prev_action = 'created'),
    count(*) FILTER (WHERE action = 'updated') - count(*) FILTER (WHERE prev_action = 'updated'),
    count(*) FILTER (WHERE action = 'unchanged')
        - count(*) FILTER (WHERE prev_action = 'unchanged'),
    count(*) FILTER (WHERE action = 'skipped') - count(*) FILTER (WHERE prev_action = 'skipped'),
    (SELECT count(*) FROM inserted_items) + (SELECT count(*) FROM upserted_items)
        + (SELECT count(*) FROM upserted_children),
    (SELECT count(*) FROM parked),
    (SELECT count(*) FROM revived),
    (SELECT count(*) FROM resolved) - (SELECT count(*) FROM revived),
    count(*) FILTER (WHERE prev_action IS NOT NULL)
FROM decided

-- name: advance_part
-- The last statement of a part's batch transaction: part %(part)s of %(parts)s committed up to
-- (line, byte), with the counts of what it did. Fenced: nothing is written unless the job is
-- still active under this operation and lease and the part was where this worker left it (a
-- stale worker or a duplicate message rolls its batch back). The job's checkpoint is the parts'
-- smallest position, and lines_read/bytes_read grow with it, so each line is counted once. The
-- row lock is taken last: two parts wait on each other only for a commit, and a cancel either
-- waits for the batch or makes it roll back.
UPDATE sync_jobs
SET ingest_part_lines = ingest_parts_set(
        ingest_part_lines, checkpoint_line, %(parts)s, %(part)s, %(line)s),
    ingest_part_bytes = ingest_parts_set(
        ingest_part_bytes, checkpoint_byte, %(parts)s, %(part)s, %(byte)s),
    checkpoint_line = ingest_parts_min(ingest_parts_set(
        ingest_part_lines, checkpoint_line, %(parts)s, %(part)s, %(line)s)),
    checkpoint_byte = ingest_parts_min(ingest_parts_set(
        ingest_part_bytes, checkpoint_byte, %(parts)s, %(part)s, %(byte)s)),
    lines_read = lines_read + ingest_parts_min(ingest_parts_set(
        ingest_part_lines, checkpoint_line, %(parts)s, %(part)s, %(line)s)) - checkpoint_line,
    bytes_read = bytes_read + ingest_parts_min(ingest_parts_set(
        ingest_part_bytes, checkpoint_byte, %(parts)s, %(part)s, %(byte)s)) - checkpoint_byte,
    checkpoint_at = now(),
    updated_at = now(),
    orders_created = orders_created + %(orders_created)s,
    orders_updated = orders_updated + %(orders_updated)s,
    orders_unchanged = orders_unchanged + %(orders_unchanged)s,
    orders_skipped = orders_skipped + %(orders_skipped)s,
    line_items_written = line_items_written + %(line_items_written)s,
    line_items_skipped = line_items_skipped + %(line_items_skipped)s,
    line_items_deleted = line_items_deleted + %(line_items_deleted)s,
    failed_lines = failed_lines + %(failed_lines)s,
    lines_superseded = lines_superseded + %(lines_superseded)s,
    orders_deleted = orders_deleted + %(orders_deleted)s
WHERE id = %(job_id)s
  AND status IN ('QUEUED', 'RUNNING')  -- a cancelled or failed job takes no more batches
  AND bulk_operation_id IS NOT DISTINCT FROM %(operation_id)s::text
  AND lease_token IS NOT DISTINCT FROM %(lease_token)s::uuid
  AND coalesce(cardinality(ingest_part_bytes), %(parts)s) = %(parts)s
  AND coalesce(ingest_part_bytes[%(part)s + 1], checkpoint_byte) = %(expected_byte)s

-- name: parts
-- Where each part of the job's merge stands (NULL: every part is at the checkpoint).
SELECT ingest_part_lines, ingest_part_bytes
FROM sync_jobs
WHERE id = %(job_id)s

-- name: fence_job
SELECT checkpoint_line, checkpoint_byte
FROM sync_jobs
WHERE id = %(job_id)s
  AND status IN ('QUEUED', 'RUNNING')  -- nor its end-of-file dead letters and deletions
  AND bulk_operation_id IS NOT DISTINCT FROM %(operation_id)s::text
  AND lease_token IS NOT DISTINCT FROM %(lease_token)s::uuid
  AND (%(expected_byte)s::bigint IS NULL OR checkpoint_byte = %(expected_byte)s::bigint)
FOR UPDATE

-- name: add_stats
UPDATE sync_jobs
SET orders_created = orders_created + %(orders_created)s,
    orders_updated = orders_updated + %(orders_updated)s,
    orders_unchanged = orders_unchanged + %(orders_unchanged)s,
    orders_skipped = orders_skipped + %(orders_skipped)s,
    line_items_written = line_items_written + %(line_items_written)s,
    line_items_skipped = line_items_skipped + %(line_items_skipped)s,
    line_items_deleted = line_items_deleted + %(line_items_deleted)s,
    failed_lines = failed_lines + %(failed_lines)s,
    lines_superseded = lines_superseded + %(lines_superseded)s,
    orders_deleted = orders_deleted + %(orders_deleted)s,
    lines_read = lines_read + %(lines_read)s,
    bytes_read = bytes_read + %(bytes_read)s,
    updated_at = now()
WHERE id = %(job_id)s

-- name: job_stats
SELECT lines_read, bytes_read, orders_created, orders_updated, orders_unchanged, orders_skipped,
       line_items_written, line_items_skipped, line_items_deleted, failed_lines, lines_superseded,
       orders_deleted
FROM sync_jobs
WHERE id = %(job_id)s

-- name: mark_ingest_finished
UPDATE sync_jobs SET ingest_finished_at = now() WHERE id = %(job_id)s

-- name: insert_dead_letter
INSERT INTO dead_letters (
    job_id, shop_id, line_number, byte_offset, reason, line, node_id, parent_id
)
VALUES (
    %(job_id)s, %(shop_id)s, %(line_number)s, %(byte_offset)s, %(reason)s, %(line)s,
    %(node_id)s, %(parent_id)s
)

-- name: dead_letter_orphans
-- At the end of the file: parked line items whose parent never appeared.
WITH orphans AS (
    DELETE FROM pending_line_items
    WHERE job_id = %(job_id)s
    RETURNING id, parent_id, line_number, byte_offset, doc
), lettered AS (
    INSERT INTO dead_letters (
        job_id, shop_id, line_number, byte_offset, reason, line, node_id, parent_id
    )
    SELECT %(job_id)s, %(shop_id)s, line_number, byte_offset,
        'parent order ' || parent_id || ' not in the export', doc::text, id, parent_id
    FROM orphans
    ORDER BY line_number
    RETURNING 1
)
SELECT count(*) FROM lettered

-- name: delete_removed_line_items
-- Line items and children of the orders whose version this job wrote (and still owns) that are
-- not in that version: gone from the export, or only in another version of the order. An order
-- with an open dead letter of its own is left alone (its failed line may be one of its children),
-- as is every order while a child's dead letter names no order (best effort: a line that does not
-- parse may be anything but an empty line). One row per row deleted (the callers count them).
WITH kept AS (
    -- Driven by the job's own orders (one probe each, fenced with OFFSET 0): the statistics of a
    -- freshly loaded orders table can make a join scan every order of the shop instead (0.56 s
    -- for an UPDATE of 100 orders in a million).
    SELECT j.order_id, j.win_version
    FROM job_orders AS j
    WHERE j.job_id = %(job_id)s
      AND j.action IN ('created', 'updated')
      AND EXISTS (
          SELECT 1 FROM orders AS o
          WHERE o.shop_id = %(shop_id)s AND o.id = j.order_id AND o.synced_job_id = %(job_id)s
          OFFSET 0)
      AND NOT EXISTS (
          SELECT 1 FROM dead_letters AS d
          WHERE d.job_id = %(job_id)s AND d.resolved_at IS NULL
            AND (d.parent_id = j.order_id OR d.node_id = j.order_id))
      AND NOT EXISTS (
          SELECT 1 FROM dead_letters AS d
          WHERE d.job_id = %(job_id)s AND d.resolved_at IS NULL AND d.parent_id IS NULL
            AND (d.node_id LIKE 'gid://shopify/LineItem/%%'
                 OR (d.node_id IS NULL AND d.line <> '')))
), items AS (
    DELETE FROM line_items AS li
    USING kept AS k
    WHERE li.shop_id = %(shop_id)s
      AND li.order_id = k.order_id
      AND (li.synced_job_id IS DISTINCT FROM %(job_id)s
           OR li.synced_version IS DISTINCT FROM k.win_version)
    RETURNING 1
), children AS (
    DELETE FROM order_children AS c
    USING kept AS k
    WHERE c.shop_id = %(shop_id)s
      AND c.order_id = k.order_id
      AND (c.synced_job_id IS DISTINCT FROM %(job_id)s
           OR c.synced_version IS DISTINCT FROM k.win_version)
      -- A child's line that did not parse names its id but maybe not its order.
      AND NOT EXISTS (
          SELECT 1 FROM dead_letters AS d
          WHERE d.job_id = %(job_id)s AND d.resolved_at IS NULL AND d.parent_id IS NULL
            AND d.node_id LIKE 'gid://shopify/%%'
            AND d.node_id NOT LIKE 'gid://shopify/Order/%%'
            AND d.node_id NOT LIKE 'gid://shopify/LineItem/%%')
    RETURNING 1
)
SELECT 1 FROM items
UNION ALL
SELECT 1 FROM children
