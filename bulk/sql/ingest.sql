-- Named queries of the ingest engine (bulk/ingest*.py). Values are always bound parameters.
-- pg_temp.ingest_stage holds the lines of the batch being ingested (emptied at each commit).
-- Its statistics are unknown to the planner (and job_orders' are stale while a job grows it), so
-- per-line lookups are written as LATERAL subqueries fenced with OFFSET 0: one index probe per
-- staged line, whatever the estimates say, instead of a nested loop over the whole stage.

-- name: create_stage_sequence
CREATE TEMP SEQUENCE IF NOT EXISTS ingest_stage_line_seq

-- name: create_written
CREATE TEMP TABLE IF NOT EXISTS ingest_written (
    id        text PRIMARY KEY,
    inserted  boolean NOT NULL
) ON COMMIT DELETE ROWS

-- name: create_stage
CREATE TEMP TABLE IF NOT EXISTS ingest_stage (
    line_no  bigint NOT NULL DEFAULT nextval('pg_temp.ingest_stage_line_seq'),
    doc      jsonb
) ON COMMIT DELETE ROWS

-- name: number_stage_from
SELECT setval('pg_temp.ingest_stage_line_seq', %(first_line)s, false)

-- name: copy_stage_fast
COPY pg_temp.ingest_stage (doc) FROM STDIN (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')

-- name: copy_stage_rows
COPY pg_temp.ingest_stage (line_no, doc) FROM STDIN

-- name: insert_stage_row
INSERT INTO pg_temp.ingest_stage (line_no, doc) VALUES (%(line_no)s, %(doc)s::jsonb)

-- name: clear_stage
TRUNCATE pg_temp.ingest_stage

-- name: delete_stage_lines
DELETE FROM pg_temp.ingest_stage WHERE line_no = ANY(%(line_nos)s::bigint[])

-- name: set_timezone
SET LOCAL timezone = 'UTC'

-- name: set_work_mem
SET LOCAL work_mem = '64MB'

-- name: advance_checkpoint
UPDATE sync_jobs
SET checkpoint_line = %(line)s,
    checkpoint_byte = %(byte)s,
    checkpoint_at = now(),
    updated_at = now(),
    lines_read = lines_read + %(lines_read)s,
    bytes_read = bytes_read + %(bytes_read)s
WHERE id = %(job_id)s
  AND bulk_operation_id IS NOT DISTINCT FROM %(operation_id)s::text
  AND lease_token IS NOT DISTINCT FROM %(lease_token)s::uuid
  AND checkpoint_byte = %(expected_byte)s

-- name: fence_job
SELECT checkpoint_line, checkpoint_byte
FROM sync_jobs
WHERE id = %(job_id)s
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
    lines_read = lines_read + %(lines_read)s,
    bytes_read = bytes_read + %(bytes_read)s,
    updated_at = now()
WHERE id = %(job_id)s

-- name: job_stats
SELECT lines_read, bytes_read, orders_created, orders_updated, orders_unchanged, orders_skipped,
       line_items_written, line_items_skipped, line_items_deleted, failed_lines
FROM sync_jobs
WHERE id = %(job_id)s

-- name: stage_problems
-- Lines whose shape the engine cannot use (the merges below assume they are gone), and how many
-- lines and distinct ids of each kind the batch holds.
SELECT reason, count(*), count(DISTINCT doc ->> 'id'),
    array_agg(line_no ORDER BY line_no) FILTER (WHERE reason NOT IN ('order', 'line item'))
FROM (
    SELECT line_no, doc,
        CASE
            WHEN doc IS NULL THEN 'empty line'
            WHEN jsonb_typeof(doc) <> 'object' THEN 'not a JSON object'
            WHEN jsonb_typeof(doc -> 'id') IS DISTINCT FROM 'string' THEN 'missing or non-string id'
            WHEN starts_with(doc ->> 'id', 'gid://shopify/Order/') THEN 'order'
            WHEN starts_with(doc ->> 'id', 'gid://shopify/LineItem/') THEN
                CASE
                    WHEN jsonb_typeof(doc -> '__parentId') IS DISTINCT FROM 'string'
                        THEN 'line item without __parentId'
                    WHEN NOT starts_with(doc ->> '__parentId', 'gid://shopify/Order/')
                        THEN 'line item parent is not an order: ' || (doc ->> '__parentId')
                    ELSE 'line item'
                END
            ELSE 'unknown gid type: ' || (doc ->> 'id')
        END AS reason
    FROM pg_temp.ingest_stage
) AS checked
GROUP BY reason

-- name: analyze_stage
ANALYZE pg_temp.ingest_stage

-- name: dedupe_stage
-- An id seen twice in one batch: the later line wins (rare: run after analyze_stage).
DELETE FROM pg_temp.ingest_stage
WHERE line_no IN (
    SELECT line_no
    FROM (
        SELECT line_no,
            row_number() OVER (PARTITION BY doc ->> 'id' ORDER BY line_no DESC) AS position
        FROM pg_temp.ingest_stage
    ) AS ranked
    WHERE position > 1
)

-- name: stage_cast_problems
SELECT line_no, reason
FROM (SELECT line_no, ingest_cast_problem(doc) AS reason FROM pg_temp.ingest_stage) AS checked
WHERE reason IS NOT NULL
ORDER BY line_no

-- name: write_orders
-- Upsert the batch's orders: new ones are inserted; a stored one is rewritten only when POPULATE
-- created it in this job, or (UPDATE, FULL) when the incoming updatedAt is newer. Which rows
-- were inserted or rewritten lands in pg_temp.ingest_written for decide_orders. The conflict
-- check goes through the primary key whatever the planner's statistics say.
WITH written AS (
INSERT INTO orders AS o (
    shop_id, id, legacy_resource_id, name, email, created_at, updated_at, processed_at,
    cancelled_at, cancel_reason, closed, closed_at, test, currency_code,
    display_financial_status, display_fulfillment_status, total_price, subtotal_price,
    total_tax, total_discounts, customer_id, tags, raw, synced_job_id, synced_at
)
SELECT %(shop_id)s, s.doc ->> 'id',
    (s.doc ->> 'legacyResourceId')::bigint,
    s.doc ->> 'name',
    s.doc ->> 'email',
    (s.doc ->> 'createdAt')::timestamptz,
    (s.doc ->> 'updatedAt')::timestamptz,
    (s.doc ->> 'processedAt')::timestamptz,
    (s.doc ->> 'cancelledAt')::timestamptz,
    s.doc ->> 'cancelReason',
    (s.doc ->> 'closed')::boolean,
    (s.doc ->> 'closedAt')::timestamptz,
    (s.doc ->> 'test')::boolean,
    s.doc ->> 'currencyCode',
    s.doc ->> 'displayFinancialStatus',
    s.doc ->> 'displayFulfillmentStatus',
    (s.doc -> 'totalPriceSet' -> 'shopMoney' ->> 'amount')::numeric,
    (s.doc -> 'subtotalPriceSet' -> 'shopMoney' ->> 'amount')::numeric,
    (s.doc -> 'totalTaxSet' -> 'shopMoney' ->> 'amount')::numeric,
    (s.doc -> 'totalDiscountsSet' -> 'shopMoney' ->> 'amount')::numeric,
    s.doc -> 'customer' ->> 'id',
    CASE WHEN jsonb_typeof(s.doc -> 'tags') = 'array'
        THEN ARRAY(SELECT jsonb_array_elements_text(s.doc -> 'tags')) END,
    s.doc, %(job_id)s, now()
FROM pg_temp.ingest_stage AS s
WHERE starts_with(s.doc ->> 'id', 'gid://shopify/Order/')
ON CONFLICT (shop_id, id) DO UPDATE SET
    legacy_resource_id = EXCLUDED.legacy_resource_id,
    name = EXCLUDED.name,
    email = EXCLUDED.email,
    created_at = EXCLUDED.created_at,
    updated_at = EXCLUDED.updated_at,
    processed_at = EXCLUDED.processed_at,
    cancelled_at = EXCLUDED.cancelled_at,
    cancel_reason = EXCLUDED.cancel_reason,
    closed = EXCLUDED.closed,
    closed_at = EXCLUDED.closed_at,
    test = EXCLUDED.test,
    currency_code = EXCLUDED.currency_code,
    display_financial_status = EXCLUDED.display_financial_status,
    display_fulfillment_status = EXCLUDED.display_fulfillment_status,
    total_price = EXCLUDED.total_price,
    subtotal_price = EXCLUDED.subtotal_price,
    total_tax = EXCLUDED.total_tax,
    total_discounts = EXCLUDED.total_discounts,
    customer_id = EXCLUDED.customer_id,
    tags = EXCLUDED.tags,
    raw = EXCLUDED.raw,
    synced_job_id = EXCLUDED.synced_job_id,
    synced_at = EXCLUDED.synced_at
WHERE CASE
        WHEN %(mode)s::text = 'POPULATE' THEN o.synced_job_id = %(job_id)s
        ELSE EXCLUDED.updated_at > o.updated_at
            OR (o.updated_at IS NULL AND EXCLUDED.updated_at IS NOT NULL)
      END
RETURNING o.id, o.xmax = 0 AS inserted
)
INSERT INTO pg_temp.ingest_written (id, inserted)
SELECT id, inserted FROM written

-- name: decide_orders
-- Decide every order of the batch from what write_orders did and the job's earlier decision,
-- record the decision, and return how the job's counts change.
WITH decided AS (
    SELECT s.doc ->> 'id' AS id, prev.action AS prev_action,
        CASE
            WHEN %(mode)s::text = 'POPULATE' THEN
                CASE WHEN w.inserted IS NOT NULL THEN 'created' ELSE coalesce(prev.action, 'skipped') END
            WHEN prev.action IN ('created', 'updated') THEN prev.action
            WHEN w.inserted THEN 'created'
            WHEN NOT w.inserted THEN 'updated'
            ELSE coalesce(prev.action, 'unchanged')
        END AS action
    FROM pg_temp.ingest_stage AS s
    LEFT JOIN LATERAL (
        SELECT j.action FROM job_orders AS j
        WHERE j.job_id = %(job_id)s AND j.order_id = s.doc ->> 'id' OFFSET 0
    ) AS prev ON true
    LEFT JOIN LATERAL (
        SELECT written.inserted FROM pg_temp.ingest_written AS written
        WHERE written.id = s.doc ->> 'id' OFFSET 0
    ) AS w ON true
    WHERE starts_with(s.doc ->> 'id', 'gid://shopify/Order/')
), recorded AS (
    INSERT INTO job_orders AS j (job_id, order_id, action)
    SELECT %(job_id)s, id, action FROM decided
    ON CONFLICT (job_id, order_id) DO UPDATE SET action = EXCLUDED.action
    WHERE j.action <> EXCLUDED.action
    RETURNING 1
)
SELECT
    count(*) FILTER (WHERE action = 'created') - count(*) FILTER (WHERE prev_action = 'created'),
    count(*) FILTER (WHERE action = 'updated') - count(*) FILTER (WHERE prev_action = 'updated'),
    count(*) FILTER (WHERE action = 'unchanged')
        - count(*) FILTER (WHERE prev_action = 'unchanged'),
    count(*) FILTER (WHERE action = 'skipped') - count(*) FILTER (WHERE prev_action = 'skipped')
FROM decided

-- name: pending_exists
SELECT EXISTS (SELECT 1 FROM pending_line_items WHERE job_id = %(job_id)s)

-- name: move_resolved_to_stage
-- Parked line items whose parent was decided in this batch rejoin the batch's lines (a line of
-- this batch with the same id is newer and wins), keeping their own line number.
WITH resolved AS (
    DELETE FROM pending_line_items AS p
    WHERE p.job_id = %(job_id)s
      AND p.parent_id IN (
          SELECT doc ->> 'id' FROM pg_temp.ingest_stage
          WHERE starts_with(doc ->> 'id', 'gid://shopify/Order/'))
    RETURNING p.id, p.line_number, p.doc
)
INSERT INTO pg_temp.ingest_stage (line_no, doc)
SELECT r.line_number, r.doc
FROM resolved AS r
WHERE NOT EXISTS (
    SELECT 1 FROM pg_temp.ingest_stage AS s
    WHERE s.doc ->> 'id' = r.id AND starts_with(s.doc ->> 'id', 'gid://shopify/LineItem/'))

-- name: write_line_items
-- Line items whose parent this job created or updated.
INSERT INTO line_items AS li (
    shop_id, id, order_id, sku, name, title, variant_title, vendor, quantity,
    current_quantity, original_unit_price, discounted_total, currency_code, raw,
    synced_job_id, synced_at
)
SELECT %(shop_id)s, s.doc ->> 'id', s.doc ->> '__parentId',
    s.doc ->> 'sku',
    s.doc ->> 'name',
    s.doc ->> 'title',
    s.doc ->> 'variantTitle',
    s.doc ->> 'vendor',
    (s.doc ->> 'quantity')::integer,
    (s.doc ->> 'currentQuantity')::integer,
    (s.doc -> 'originalUnitPriceSet' -> 'shopMoney' ->> 'amount')::numeric,
    (s.doc -> 'discountedTotalSet' -> 'shopMoney' ->> 'amount')::numeric,
    coalesce(s.doc -> 'originalUnitPriceSet' -> 'shopMoney' ->> 'currencyCode',
             s.doc -> 'discountedTotalSet' -> 'shopMoney' ->> 'currencyCode'),
    s.doc, %(job_id)s, now()
FROM pg_temp.ingest_stage AS s
JOIN LATERAL (
    SELECT decision.action FROM job_orders AS decision
    WHERE decision.job_id = %(job_id)s AND decision.order_id = s.doc ->> '__parentId' OFFSET 0
) AS j ON true
WHERE starts_with(s.doc ->> 'id', 'gid://shopify/LineItem/')
  AND j.action IN ('created', 'updated')
ON CONFLICT (shop_id, id) DO UPDATE SET
    order_id = EXCLUDED.order_id,
    sku = EXCLUDED.sku,
    name = EXCLUDED.name,
    title = EXCLUDED.title,
    variant_title = EXCLUDED.variant_title,
    vendor = EXCLUDED.vendor,
    quantity = EXCLUDED.quantity,
    current_quantity = EXCLUDED.current_quantity,
    original_unit_price = EXCLUDED.original_unit_price,
    discounted_total = EXCLUDED.discounted_total,
    currency_code = EXCLUDED.currency_code,
    raw = EXCLUDED.raw,
    synced_job_id = EXCLUDED.synced_job_id,
    synced_at = EXCLUDED.synced_at

-- name: park_line_items
-- Line items whose parent is not decided yet wait for it. Their values are cast here too (the
-- num_nulls is always true) so a bad value is caught on the line's own batch.
INSERT INTO pending_line_items AS p (job_id, id, parent_id, line_number, doc)
SELECT %(job_id)s, s.doc ->> 'id', s.doc ->> '__parentId', s.line_no, s.doc
FROM pg_temp.ingest_stage AS s
LEFT JOIN LATERAL (
    SELECT true AS found FROM job_orders AS decision
    WHERE decision.job_id = %(job_id)s AND decision.order_id = s.doc ->> '__parentId' OFFSET 0
) AS j ON true
WHERE starts_with(s.doc ->> 'id', 'gid://shopify/LineItem/')
  AND j.found IS NULL
  AND num_nulls(
      (s.doc ->> 'quantity')::integer,
      (s.doc ->> 'currentQuantity')::integer,
      (s.doc -> 'originalUnitPriceSet' -> 'shopMoney' ->> 'amount')::numeric,
      (s.doc -> 'discountedTotalSet' -> 'shopMoney' ->> 'amount')::numeric) >= 0
ON CONFLICT (job_id, id) DO UPDATE SET
    parent_id = EXCLUDED.parent_id,
    line_number = EXCLUDED.line_number,
    byte_offset = NULL,
    doc = EXCLUDED.doc

-- name: locate_parked
-- Fill in the file offset of line items parked by this batch (known only to the caller).
UPDATE pending_line_items
SET byte_offset = (%(offsets)s::bigint[])[line_number - %(first_line)s + 1]
WHERE job_id = %(job_id)s AND byte_offset IS NULL
  AND line_number BETWEEN %(first_line)s AND %(last_line)s

-- name: insert_dead_letter
INSERT INTO dead_letters (job_id, shop_id, line_number, byte_offset, reason, line)
VALUES (%(job_id)s, %(shop_id)s, %(line_number)s, %(byte_offset)s, %(reason)s, %(line)s)

-- name: dead_letter_orphans
-- At the end of the file: parked line items whose parent never appeared.
WITH orphans AS (
    DELETE FROM pending_line_items
    WHERE job_id = %(job_id)s
    RETURNING id, parent_id, line_number, byte_offset, doc
), lettered AS (
    INSERT INTO dead_letters (job_id, shop_id, line_number, byte_offset, reason, line)
    SELECT %(job_id)s, %(shop_id)s, line_number, byte_offset,
        'parent order ' || parent_id || ' not in the export', doc::text
    FROM orphans
    ORDER BY line_number
    RETURNING 1
)
SELECT count(*) FROM lettered

-- name: delete_removed_line_items
-- Line items of orders this job wrote that the export no longer lists.
DELETE FROM line_items AS li
USING job_orders AS j
WHERE j.job_id = %(job_id)s
  AND j.action IN ('created', 'updated')
  AND li.shop_id = %(shop_id)s
  AND li.order_id = j.order_id
  AND li.synced_job_id IS DISTINCT FROM %(job_id)s
