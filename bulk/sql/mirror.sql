-- Named queries of bulk/mirror.py: reading the synced orders through the default read path
-- (the live_* views: deleted orders and their line items hidden).

-- name: list_orders
-- Keyset pagination on (updated_at, id), oldest change first; an order without updated_at
-- sorts first (as -infinity). With a tenant_id, only of a shop that tenant owns.
SELECT o.id, o.legacy_resource_id, o.name, o.email, o.created_at, o.updated_at,
       o.processed_at, o.cancelled_at, o.cancel_reason, o.closed, o.test, o.currency_code,
       o.display_financial_status, o.display_fulfillment_status, o.total_price,
       o.subtotal_price, o.total_tax, o.total_discounts, o.customer_id, o.tags
FROM live_orders AS o
WHERE o.shop_id = %(shop_id)s
  AND (%(tenant_id)s::bigint IS NULL
       OR EXISTS (SELECT 1 FROM shops AS s WHERE s.id = o.shop_id
                  AND s.tenant_id = %(tenant_id)s::bigint))
  AND (%(updated_since)s::timestamptz IS NULL OR o.updated_at >= %(updated_since)s::timestamptz)
  AND (%(after_id)s::text IS NULL
       OR (coalesce(o.updated_at, '-infinity'::timestamptz), o.id)
          > (coalesce(%(after_updated_at)s::timestamptz, '-infinity'::timestamptz),
             %(after_id)s::text))
ORDER BY coalesce(o.updated_at, '-infinity'::timestamptz), o.id
LIMIT %(first)s

-- name: line_items_of_orders
-- The first `first` live line items (by id) of each of the orders, in one statement; with a
-- tenant_id, only of a shop that tenant owns.
SELECT order_id, id, sku, name, title, variant_title, vendor, quantity, current_quantity,
       original_unit_price, discounted_total, currency_code
FROM (
    SELECT li.*, row_number() OVER (PARTITION BY li.order_id ORDER BY li.id) AS n
    FROM live_line_items AS li
    WHERE li.shop_id = %(shop_id)s
      AND li.order_id = ANY(%(order_ids)s::text[])
      AND (%(tenant_id)s::bigint IS NULL
           OR EXISTS (SELECT 1 FROM shops AS s WHERE s.id = li.shop_id
                      AND s.tenant_id = %(tenant_id)s::bigint))
) AS ranked
WHERE n <= %(first)s
ORDER BY order_id, id
