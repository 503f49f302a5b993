-- shopsync initial schema: shops, sync jobs with their checkpoint and stats, the synced
-- orders and line items (keyed per shop), per-job order decisions, parked line items and
-- dead letters.

CREATE TABLE shops (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain        text NOT NULL UNIQUE,
    access_token  text NOT NULL,
    api_version   text NOT NULL,
    admin_url     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_jobs (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id              bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    job_type             text NOT NULL DEFAULT 'ORDERS' CHECK (job_type IN ('ORDERS')),
    sync_mode            text NOT NULL CHECK (sync_mode IN ('POPULATE', 'UPDATE', 'FULL')),
    status               text NOT NULL DEFAULT 'QUEUED'
                         CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    -- Mode parameters, and the filter instant fixed when the job was created so every retry and
    -- resubmission of the job asks Shopify for the same window.
    days                 integer CHECK (days IS NULL OR days > 0),
    stale_after_mins     integer CHECK (stale_after_mins IS NULL OR stale_after_mins > 0),
    filter_since         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    error                text,
    -- The bulk operation currently followed; a checkpoint belongs to exactly one result file.
    bulk_operation_id    text,
    bulk_status          text,
    bulk_submitted_at    timestamptz,
    bulk_attempts        integer NOT NULL DEFAULT 0,
    poll_count           integer NOT NULL DEFAULT 0,
    result_url           text,
    result_file_size     bigint,
    object_count         bigint,
    root_object_count    bigint,
    checkpoint_line      bigint NOT NULL DEFAULT 0,
    checkpoint_byte      bigint NOT NULL DEFAULT 0,
    checkpoint_at        timestamptz,
    -- Fencing for workers: whoever holds the current token may advance the job.
    lease_token          uuid,
    lease_expires_at     timestamptz,
    -- Stats, persisted as the job runs.
    lines_read           bigint NOT NULL DEFAULT 0,
    bytes_read           bigint NOT NULL DEFAULT 0,
    orders_created       bigint NOT NULL DEFAULT 0,
    orders_updated       bigint NOT NULL DEFAULT 0,
    orders_unchanged     bigint NOT NULL DEFAULT 0,
    orders_skipped       bigint NOT NULL DEFAULT 0,
    line_items_written   bigint NOT NULL DEFAULT 0,
    line_items_skipped   bigint NOT NULL DEFAULT 0,
    line_items_deleted   bigint NOT NULL DEFAULT 0,
    failed_lines         bigint NOT NULL DEFAULT 0,
    CHECK (sync_mode <> 'UPDATE' OR stale_after_mins IS NOT NULL)
);

-- One active job per shop: two clicks on "Sync now", or a click racing the scheduler, give one job.
CREATE UNIQUE INDEX sync_jobs_one_active_per_shop
    ON sync_jobs (shop_id) WHERE status IN ('QUEUED', 'RUNNING');
CREATE INDEX sync_jobs_shop_created ON sync_jobs (shop_id, created_at DESC);
CREATE INDEX sync_jobs_bulk_operation ON sync_jobs (bulk_operation_id)
    WHERE bulk_operation_id IS NOT NULL;

CREATE TABLE orders (
    shop_id                     bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    id                          text NOT NULL,          -- gid://shopify/Order/<n>
    legacy_resource_id          bigint,
    name                        text,
    email                       text,
    created_at                  timestamptz,
    updated_at                  timestamptz,
    processed_at                timestamptz,
    cancelled_at                timestamptz,
    cancel_reason               text,
    closed                      boolean,
    closed_at                   timestamptz,
    test                        boolean,
    currency_code               text,
    display_financial_status    text,
    display_fulfillment_status  text,
    total_price                 numeric,
    subtotal_price              numeric,
    total_tax                   numeric,
    total_discounts             numeric,
    customer_id                 text,
    tags                        text[],
    raw                         jsonb NOT NULL,
    synced_job_id               bigint,
    synced_at                   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX orders_shop_updated ON orders (shop_id, updated_at);

CREATE TABLE line_items (
    shop_id                bigint NOT NULL,
    id                     text NOT NULL,               -- gid://shopify/LineItem/<n>
    order_id               text NOT NULL,
    sku                    text,
    name                   text,
    title                  text,
    variant_title          text,
    vendor                 text,
    quantity               integer,
    current_quantity       integer,
    original_unit_price    numeric,
    discounted_total       numeric,
    currency_code          text,
    raw                    jsonb NOT NULL,
    synced_job_id          bigint,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX line_items_order ON line_items (shop_id, order_id);

-- What a job decided for each order it saw: line items follow their order's decision, wherever
-- in the file (or in which batch) they appear.
CREATE TABLE job_orders (
    job_id    bigint NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    order_id  text NOT NULL,
    action    text NOT NULL CHECK (action IN ('created', 'updated', 'unchanged', 'skipped')),
    PRIMARY KEY (job_id, order_id)
);

-- Line items read before their parent order: parked until the parent's decision is known.
CREATE TABLE pending_line_items (
    job_id       bigint NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    id           text NOT NULL,
    parent_id    text NOT NULL,
    line_number  bigint NOT NULL,
    doc          jsonb NOT NULL,
    PRIMARY KEY (job_id, id)
);
CREATE INDEX pending_line_items_parent ON pending_line_items (job_id, parent_id);

-- Lines that could not be ingested, with where they were and why; retryable.
CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       bigint NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    shop_id      bigint NOT NULL,
    line_number  bigint,
    byte_offset  bigint,
    reason       text NOT NULL,
    line         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retried_at   timestamptz,
    resolved_at  timestamptz
);
CREATE INDEX dead_letters_job ON dead_letters (job_id);
