-- Ingest safety (issue 6): versions of one order within an export, dead letters that hold back
-- line-item deletion, superseded dead letters, and stats that describe one result file.

-- Lines that lost to another version of the same node (an order's other lines in the file, a
-- repeated line item line): one term of the per-job identity (README, "Why the rows are exact").
ALTER TABLE sync_jobs ADD COLUMN lines_superseded bigint NOT NULL DEFAULT 0;
-- Bumped whenever the job starts reading a new result file; part of every version key below, so
-- a line number of an earlier file never matches one of the current file.
ALTER TABLE sync_jobs ADD COLUMN ingest_epoch integer NOT NULL DEFAULT 0;
-- Set by the end-of-file step (orphans, removed line items); a dead-letter retry cleans up an
-- order's removed line items only after it.
ALTER TABLE sync_jobs ADD COLUMN ingest_finished_at timestamptz;

-- The version of each order the job keeps: win_version is the version key (epoch << 40 | line
-- number) of the line that won (newest updatedAt, the later line on a tie), last_line the line
-- number of the order's latest line read so far (a line item belongs to the nearest preceding
-- line of its order).
ALTER TABLE job_orders ADD COLUMN win_version bigint;
ALTER TABLE job_orders ADD COLUMN last_line bigint;
-- Every line number of the order read so far, NULL while there is one (last_line): a retried
-- line item dead letter is given to the nearest preceding one, as the ingest did.
ALTER TABLE job_orders ADD COLUMN lines bigint[];

-- The version key of the order line a line item was written with: after the file, a line item
-- of a kept order whose key is not the order's win_version is not in the kept version.
ALTER TABLE line_items ADD COLUMN synced_version bigint;

-- What a dead letter was (when it could be told) and how it was resolved.
ALTER TABLE dead_letters ADD COLUMN node_id text;
ALTER TABLE dead_letters ADD COLUMN parent_id text;
ALTER TABLE dead_letters ADD COLUMN resolution text
    CHECK (resolution IN ('ingested', 'superseded'));
CREATE INDEX dead_letters_open ON dead_letters (job_id, parent_id) WHERE resolved_at IS NULL;

-- Ids longer than this cannot be Shopify's and would not fit a btree index entry (~2.7 kB).
CREATE OR REPLACE FUNCTION ingest_line_problem(doc text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parsed jsonb;
BEGIN
    BEGIN
        parsed := doc::jsonb;
    EXCEPTION WHEN others THEN
        RETURN 'invalid JSON for Postgres: ' || SQLERRM;
    END;
    IF octet_length(parsed ->> 'id') > 1024 OR octet_length(parsed ->> '__parentId') > 1024 THEN
        RETURN 'id too long: over 1024 bytes';
    END IF;
    RETURN ingest_cast_problem(parsed);
END
$$;

-- A new bulk operation means a new result file read from byte 0: the job's ingest state starts
-- over, so nothing of the earlier file is counted twice. Its decisions and parked line items go,
-- its open dead letters are superseded, the counters restart and the epoch moves on. Rows the
-- job already wrote stay; the new file rewrites them (an order the job wrote is rewritten by an
-- equal or newer version) and the end of the file deletes their line items the new file lacks.
-- A trigger, so every path that records a new operation (submit, reconciliation) resets; only
-- once the job has read lines (before that there is nothing to forget).
CREATE FUNCTION sync_jobs_reset_ingest() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_orders WHERE job_id = NEW.id;
    DELETE FROM pending_line_items WHERE job_id = NEW.id;
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
    RETURN NEW;
END
$$;

CREATE TRIGGER sync_jobs_new_operation_resets_ingest
    BEFORE UPDATE OF bulk_operation_id ON sync_jobs
    FOR EACH ROW
    WHEN (NEW.bulk_operation_id IS NOT NULL
          AND OLD.bulk_operation_id IS DISTINCT FROM NEW.bulk_operation_id
          AND OLD.lines_read > 0)
    EXECUTE FUNCTION sync_jobs_reset_ingest();
