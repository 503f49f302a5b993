-- Orders marked deleted outside a RECONCILE: Shopify's orders/delete webhook.

-- name: delete_by_legacy_id
-- The order of the shop with this domain (domains are unique: one tenant's shop) and this
-- legacy id, if live, marked deleted with its line items and children; its shop, id and line
-- items counted.
WITH shop AS (
    SELECT id FROM shops WHERE domain = %(domain)s
), gone AS (
    UPDATE orders AS o
    SET deleted_at = now()
    FROM shop AS s
    WHERE o.shop_id = s.id
      AND o.legacy_resource_id = %(legacy_id)s
      AND o.deleted_at IS NULL
    RETURNING o.shop_id, o.id
), items AS (
    UPDATE line_items AS li
    SET deleted_at = now()
    FROM gone AS g
    WHERE li.shop_id = g.shop_id AND li.order_id = g.id AND li.deleted_at IS NULL
    RETURNING 1
), children AS (
    UPDATE order_children AS c
    SET deleted_at = now()
    FROM gone AS g
    WHERE c.shop_id = g.shop_id AND c.order_id = g.id AND c.deleted_at IS NULL
)
SELECT g.shop_id, g.id, (SELECT count(*) FROM items) FROM gone AS g
