-- Job control (issue #6). Every bulk operation a job submitted or adopted, and the ones that
-- already existed right before it submitted: reconciling a lost bulkOperationRunQuery answer
-- never adopts any of them (an earlier job's operation runs the same query text). And since when
-- the followed operation is in its current status, so polling is bounded per status.

CREATE TABLE sync_job_operations (
    job_id        bigint NOT NULL REFERENCES sync_jobs (id) ON DELETE CASCADE,
    shop_id       bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    operation_id  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('submitted', 'adopted', 'preexisting')),
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (job_id, operation_id)
);

CREATE INDEX sync_job_operations_shop ON sync_job_operations (shop_id);

-- The operations jobs followed before this migration count as theirs.
INSERT INTO sync_job_operations (job_id, shop_id, operation_id, role, recorded_at)
SELECT id, shop_id, bulk_operation_id, 'submitted', coalesce(bulk_submitted_at, created_at)
  FROM sync_jobs
 WHERE bulk_operation_id IS NOT NULL;

-- When we first saw the followed operation in bulk_status (our clock: no skew with Shopify's).
ALTER TABLE sync_jobs ADD COLUMN bulk_status_since timestamptz;

UPDATE sync_jobs
   SET bulk_status_since = coalesce(bulk_submitted_at, updated_at)
 WHERE bulk_status IS NOT NULL;
