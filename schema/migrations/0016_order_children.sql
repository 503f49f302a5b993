-- Nodes of the connections a shop or the deployment adds to the orders bulk query (issue #10:
-- e.g. metafields): child lines of an order other than its line items, kept like line items.

CREATE TABLE order_children (
    shop_id         bigint NOT NULL,
    id              text NOT NULL,               -- gid://shopify/<Type>/<n>
    order_id        text NOT NULL,
    connection      text NOT NULL,               -- the gid type: Metafield, ShippingLine, ...
    raw             jsonb NOT NULL,
    synced_job_id   bigint,
    synced_version  bigint,                      -- as line_items.synced_version
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX order_children_order ON order_children (shop_id, order_id);

-- Parked child lines (read before their order) share pending_line_items: 'l' a line item,
-- 'c' a node of an added connection.
ALTER TABLE pending_line_items ADD COLUMN kind "char" NOT NULL DEFAULT 'l'
    CHECK (kind IN ('l', 'c'));

-- Live while it and its order are, as live_line_items.
CREATE VIEW live_order_children AS
    SELECT c.* FROM order_children AS c
    WHERE c.deleted_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM orders AS o
          WHERE o.shop_id = c.shop_id AND o.id = c.order_id AND o.deleted_at IS NOT NULL);

-- No foreign key to orders, for the reason 0004 gives for line_items: the statement-level
-- triggers that follow deleted and truncated orders take the children too.
CREATE OR REPLACE FUNCTION line_items_follow_deleted_orders() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM line_items AS li
    USING deleted_orders AS o
    WHERE li.shop_id = o.shop_id AND li.order_id = o.id;
    DELETE FROM order_children AS c
    USING deleted_orders AS o
    WHERE c.shop_id = o.shop_id AND c.order_id = o.id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION line_items_follow_truncated_orders() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE line_items, order_children;
    RETURN NULL;
END
$$;
