-- Named queries of the ingest engine (bulk/ingest*.py). Values are always bound parameters.
-- pg_temp.ingest_stage holds the lines of the batch being ingested (emptied at each commit).

-- name: create_stage_sequence
CREATE TEMP SEQUENCE IF NOT EXISTS ingest_stage_line_seq

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

-- name: set_utc
SET LOCAL timezone = 'UTC'

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
-- Lines whose shape the engine cannot use; the merges below assume they are gone.
SELECT line_no, reason
FROM (
    SELECT line_no,
        CASE
            WHEN doc IS NULL THEN 'empty line'
            WHEN jsonb_typeof(doc) <> 'object' THEN 'not a JSON object'
            WHEN jsonb_typeof(doc -> 'id') IS DISTINCT FROM 'string' THEN 'missing or non-string id'
            WHEN starts_with(doc ->> 'id', 'gid://shopify/Order/') THEN NULL
            WHEN starts_with(doc ->> 'id', 'gid://shopify/LineItem/') THEN
                CASE
                    WHEN jsonb_typeof(doc -> '__parentId') IS DISTINCT FROM 'string'
                        THEN 'line item without __parentId'
                    WHEN NOT starts_with(doc ->> '__parentId', 'gid://shopify/Order/')
                        THEN 'line item parent is not an order: ' || (doc ->> '__parentId')
                END
            ELSE 'unknown gid type: ' || (doc ->> 'id')
        END AS reason
    FROM pg_temp.ingest_stage
) AS checked
WHERE reason IS NOT NULL
ORDER BY line_no

-- name: stage_cast_problems
SELECT line_no, reason
FROM (SELECT line_no, ingest_cast_problem(doc) AS reason FROM pg_temp.ingest_stage) AS checked
WHERE reason IS NOT NULL
ORDER BY line_no

-- name: merge_orders
-- Decide every order of the batch (the last line wins if one appears twice), write the rows the
-- decision says to write, record the decision, and return how the job's counts change.
WITH incoming AS (
    SELECT DISTINCT ON (doc ->> 'id') doc ->> 'id' AS id, doc
    FROM pg_temp.ingest_stage
    WHERE starts_with(doc ->> 'id', 'gid://shopify/Order/')
    ORDER BY doc ->> 'id', line_no DESC
), typed AS (
    SELECT id, doc,
        (doc ->> 'legacyResourceId')::bigint AS legacy_resource_id,
        (doc ->> 'createdAt')::timestamptz AS created_at,
        (doc ->> 'updatedAt')::timestamptz AS updated_at,
        (doc ->> 'processedAt')::timestamptz AS processed_at,
        (doc ->> 'cancelledAt')::timestamptz AS cancelled_at,
        (doc ->> 'closed')::boolean AS closed,
        (doc ->> 'closedAt')::timestamptz AS closed_at,
        (doc ->> 'test')::boolean AS test,
        (doc -> 'totalPriceSet' -> 'shopMoney' ->> 'amount')::numeric AS total_price,
        (doc -> 'subtotalPriceSet' -> 'shopMoney' ->> 'amount')::numeric AS subtotal_price,
        (doc -> 'totalTaxSet' -> 'shopMoney' ->> 'amount')::numeric AS total_tax,
        (doc -> 'totalDiscountsSet' -> 'shopMoney' ->> 'amount')::numeric AS total_discounts
    FROM incoming
), decided AS MATERIALIZED (
    SELECT t.*, d.prev_action, d.action,
        CASE
            WHEN %(mode)s::text = 'POPULATE' THEN d.action = 'created'
            ELSE d.stored IS NULL OR d.newer
        END AS write
    FROM typed AS t
    LEFT JOIN job_orders AS prev ON prev.job_id = %(job_id)s AND prev.order_id = t.id
    LEFT JOIN orders AS o ON o.shop_id = %(shop_id)s AND o.id = t.id
    CROSS JOIN LATERAL (
        SELECT prev.action AS prev_action,
            o.id AS stored,
            (t.updated_at > o.updated_at
                OR (o.updated_at IS NULL AND t.updated_at IS NOT NULL)) AS newer
    ) AS facts
    CROSS JOIN LATERAL (
        SELECT facts.prev_action, facts.stored, coalesce(facts.newer, false) AS newer,
            CASE
                WHEN %(mode)s::text = 'POPULATE' THEN
                    CASE
                        WHEN facts.prev_action IS NOT NULL THEN facts.prev_action
                        WHEN facts.stored IS NULL THEN 'created'
                        ELSE 'skipped'
                    END
                WHEN facts.stored IS NULL THEN
                    CASE WHEN facts.prev_action = 'updated' THEN 'updated' ELSE 'created' END
                WHEN facts.prev_action IN ('created', 'updated') THEN facts.prev_action
                WHEN coalesce(facts.newer, false) THEN 'updated'
                ELSE 'unchanged'
            END AS action
    ) AS d
), written AS (
    INSERT INTO orders AS o (
        shop_id, id, legacy_resource_id, name, email, created_at, updated_at, processed_at,
        cancelled_at, cancel_reason, closed, closed_at, test, currency_code,
        display_financial_status, display_fulfillment_status, total_price, subtotal_price,
        total_tax, total_discounts, customer_id, tags, raw, synced_job_id, synced_at
    )
    SELECT %(shop_id)s, id, legacy_resource_id, doc ->> 'name', doc ->> 'email', created_at,
        updated_at, processed_at, cancelled_at, doc ->> 'cancelReason', closed, closed_at, test,
        doc ->> 'currencyCode', doc ->> 'displayFinancialStatus',
        doc ->> 'displayFulfillmentStatus', total_price, subtotal_price, total_tax,
        total_discounts, doc -> 'customer' ->> 'id',
        CASE WHEN jsonb_typeof(doc -> 'tags') = 'array'
            THEN ARRAY(SELECT jsonb_array_elements_text(doc -> 'tags')) END,
        doc, %(job_id)s, now()
    FROM decided
    WHERE write
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
    RETURNING 1
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

-- name: merge_line_items
-- Line items of the batch, plus parked ones whose parent was decided in this batch: written when
-- the parent was created/updated, skipped when it was skipped/unchanged, parked when undecided.
WITH batch_orders AS (
    SELECT DISTINCT doc ->> 'id' AS id
    FROM pg_temp.ingest_stage
    WHERE starts_with(doc ->> 'id', 'gid://shopify/Order/')
), incoming AS (
    SELECT DISTINCT ON (id) id, parent_id, line_no, byte_offset, doc, parked
    FROM (
        SELECT doc ->> 'id' AS id, doc ->> '__parentId' AS parent_id, line_no,
            NULL::bigint AS byte_offset, doc, false AS parked
        FROM pg_temp.ingest_stage
        WHERE starts_with(doc ->> 'id', 'gid://shopify/LineItem/')
        UNION ALL
        SELECT p.id, p.parent_id, p.line_number, p.byte_offset, p.doc, true
        FROM pending_line_items AS p
        WHERE p.job_id = %(job_id)s AND p.parent_id IN (SELECT id FROM batch_orders)
    ) AS both_kinds
    ORDER BY id, parked, line_no DESC
), decided AS MATERIALIZED (
    SELECT i.*, j.action,
        (doc ->> 'quantity')::integer AS quantity,
        (doc ->> 'currentQuantity')::integer AS current_quantity,
        (doc -> 'originalUnitPriceSet' -> 'shopMoney' ->> 'amount')::numeric
            AS original_unit_price,
        (doc -> 'discountedTotalSet' -> 'shopMoney' ->> 'amount')::numeric AS discounted_total
    FROM incoming AS i
    LEFT JOIN job_orders AS j ON j.job_id = %(job_id)s AND j.order_id = i.parent_id
), written AS (
    INSERT INTO line_items AS li (
        shop_id, id, order_id, sku, name, title, variant_title, vendor, quantity,
        current_quantity, original_unit_price, discounted_total, currency_code, raw,
        synced_job_id, synced_at
    )
    SELECT %(shop_id)s, id, parent_id, doc ->> 'sku', doc ->> 'name', doc ->> 'title',
        doc ->> 'variantTitle', doc ->> 'vendor', quantity, current_quantity,
        original_unit_price, discounted_total,
        coalesce(doc -> 'originalUnitPriceSet' -> 'shopMoney' ->> 'currencyCode',
                 doc -> 'discountedTotalSet' -> 'shopMoney' ->> 'currencyCode'),
        doc, %(job_id)s, now()
    FROM decided
    WHERE action IN ('created', 'updated')
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
    RETURNING 1
), parked AS (
    INSERT INTO pending_line_items AS p (job_id, id, parent_id, line_number, byte_offset, doc)
    SELECT %(job_id)s, id, parent_id, line_no, byte_offset, doc
    FROM decided
    WHERE action IS NULL
    ON CONFLICT (job_id, id) DO UPDATE SET
        parent_id = EXCLUDED.parent_id,
        line_number = EXCLUDED.line_number,
        byte_offset = EXCLUDED.byte_offset,
        doc = EXCLUDED.doc
    RETURNING 1
)
SELECT
    count(*) FILTER (WHERE action IN ('created', 'updated')),
    count(*) FILTER (WHERE action IN ('skipped', 'unchanged')),
    count(*) FILTER (WHERE action IS NULL)
FROM decided

-- name: unpark_resolved
-- Parked line items whose parent was decided in this batch were merged above.
DELETE FROM pending_line_items AS p
USING (
    SELECT DISTINCT doc ->> 'id' AS id
    FROM pg_temp.ingest_stage
    WHERE starts_with(doc ->> 'id', 'gid://shopify/Order/')
) AS batch_orders
WHERE p.job_id = %(job_id)s AND p.parent_id = batch_orders.id

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
