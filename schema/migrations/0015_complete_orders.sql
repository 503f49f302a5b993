-- Complete orders (issue #10): the columns a merchant's app filters and joins on, read from the
-- bulk query's new fields (bulk/order_fields.py); everything else the query selects is in raw.
-- Nothing to backfill: existing rows get these values on their next sync (raw before it holds
-- only the fields selected then).
ALTER TABLE orders
    ADD COLUMN phone text,
    ADD COLUMN customer_email text,
    ADD COLUMN presentment_currency_code text,
    ADD COLUMN total_price_presentment numeric,
    ADD COLUMN current_total_price numeric,
    ADD COLUMN current_subtotal_price numeric,
    ADD COLUMN current_total_tax numeric,
    ADD COLUMN current_total_discounts numeric,
    ADD COLUMN total_shipping numeric,
    ADD COLUMN total_refunded numeric,
    ADD COLUMN billing_country_code text,
    ADD COLUMN billing_province_code text,
    ADD COLUMN shipping_country_code text,
    ADD COLUMN shipping_province_code text,
    ADD COLUMN shipping_zip text,
    ADD COLUMN source_name text,
    ADD COLUMN channel_id text,
    ADD COLUMN risk_recommendation text,
    ADD COLUMN tax_exempt boolean,
    ADD COLUMN taxes_included boolean,
    ADD COLUMN discount_codes text[],
    ADD COLUMN note text;

ALTER TABLE line_items
    ADD COLUMN total_discount numeric,
    ADD COLUMN refundable_quantity integer,
    ADD COLUMN unfulfilled_quantity integer,
    ADD COLUMN requires_shipping boolean,
    ADD COLUMN taxable boolean,
    ADD COLUMN is_gift_card boolean,
    ADD COLUMN product_id text,
    ADD COLUMN variant_id text;

-- The joins apps make: a customer's orders, a product's sales.
CREATE INDEX orders_shop_customer ON orders (shop_id, customer_id);
CREATE INDEX line_items_shop_product ON line_items (shop_id, product_id);

-- A view's * was expanded when it was made: make them again to show the new columns.
CREATE OR REPLACE VIEW live_orders AS SELECT * FROM orders WHERE deleted_at IS NULL;
CREATE OR REPLACE VIEW live_line_items AS
    SELECT li.* FROM line_items AS li
    WHERE li.deleted_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM orders AS o
          WHERE o.shop_id = li.shop_id AND o.id = li.order_id AND o.deleted_at IS NOT NULL);

-- A shop's added selection (issue #10 item 2): GraphQL selection text merged into the order
-- node of its bulk queries, kept in raw; validated against the shop's Admin API when saved.
ALTER TABLE shops ADD COLUMN extra_order_fields text
    CONSTRAINT shops_extra_order_fields_size CHECK (length(extra_order_fields) <= 4000);
