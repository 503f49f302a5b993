-- Deleted orders: kept for audit with deleted_at (hidden by the live_* views), the RECONCILE
-- mode's staging of the ids an export listed, and its orders_deleted counter.
ALTER TABLE orders ADD COLUMN deleted_at timestamptz;
ALTER TABLE line_items ADD COLUMN deleted_at timestamptz;
ALTER TABLE sync_jobs ADD COLUMN orders_deleted bigint NOT NULL DEFAULT 0;
-- The instant Shopify created the job's bulk operation: orders created from then on are not in
-- its export, so a RECONCILE never takes their absence for a deletion.
ALTER TABLE sync_jobs ADD COLUMN bulk_created_at timestamptz;

-- A webhook names an order by its legacy numeric id.
CREATE INDEX orders_shop_legacy_id ON orders (shop_id, legacy_resource_id);
-- A RECONCILE's window: the shop's live orders by creation.
CREATE INDEX orders_shop_created_live ON orders (shop_id, created_at) WHERE deleted_at IS NULL;

-- The default read path: every reader of the mirror uses these, never the tables.
CREATE VIEW live_orders AS SELECT * FROM orders WHERE deleted_at IS NULL;
-- A line item is live while it and its order are (a job that had already decided to write an
-- order's line items may still write one after a webhook deleted the order).
CREATE VIEW live_line_items AS
    SELECT li.* FROM line_items AS li
    WHERE li.deleted_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM orders AS o
          WHERE o.shop_id = li.shop_id AND o.id = li.order_id AND o.deleted_at IS NOT NULL);

-- The order ids a RECONCILE job's export listed so far. Logged on purpose: an unlogged table is
-- emptied by a crash of Postgres while the job's checkpoint survives, and every id lost so would
-- read as a deleted order (the job's end also checks the count against Shopify's).
CREATE TABLE reconcile_ids (
    job_id bigint NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    order_id text NOT NULL,
    PRIMARY KEY (job_id, order_id)
);

-- A new bulk operation restarts the job's ingest: its staged ids go too.
CREATE OR REPLACE FUNCTION sync_jobs_reset_ingest() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_orders WHERE job_id = NEW.id;
    DELETE FROM pending_line_items WHERE job_id = NEW.id;
    DELETE FROM reconcile_ids WHERE job_id = NEW.id;
    UPDATE dead_letters
       SET resolved_at = now(), resolution = 'superseded'
     WHERE job_id = NEW.id AND resolved_at IS NULL;
    NEW.ingest_epoch := OLD.ingest_epoch + 1;
    NEW.ingest_finished_at := NULL;
    NEW.lines_read := 0;
    NEW.bytes_read := 0;
    NEW.orders_created := 0;
    NEW.orders_updated := 0;
    NEW.orders_unchanged := 0;
    NEW.orders_skipped := 0;
    NEW.line_items_written := 0;
    NEW.line_items_skipped := 0;
    NEW.line_items_deleted := 0;
    NEW.failed_lines := 0;
    NEW.lines_superseded := 0;
    NEW.orders_deleted := 0;
    RETURN NEW;
END
$$;

-- A finished RECONCILE job (completed, failed, cancelled) needs its staged ids no more.
CREATE FUNCTION sync_jobs_drop_reconcile_ids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reconcile_ids WHERE job_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER sync_jobs_finished_drops_reconcile_ids
    AFTER UPDATE OF status ON sync_jobs
    FOR EACH ROW
    WHEN (NEW.sync_mode = 'RECONCILE'
          AND NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
          AND OLD.status IN ('QUEUED', 'RUNNING'))
    EXECUTE FUNCTION sync_jobs_drop_reconcile_ids();
