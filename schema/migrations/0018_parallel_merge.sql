-- Parallel merge (issue #12): a job's batches are merged by several connections at once, each
-- owning a part of the orders (a hash of the order id). Each part commits its own position with
-- its rows; the job's checkpoint is the smallest: the prefix of the file every part committed.
-- Entry i (1-based) is part i - 1's (line, byte) after its last committed batch; NULL while no
-- part has committed under the current checkpoint (every part is then at the checkpoint).
ALTER TABLE sync_jobs
    ADD COLUMN ingest_part_lines bigint[],
    ADD COLUMN ingest_part_bytes bigint[];

-- Whatever moves the checkpoint or the operation without setting the parts (a reset, a new
-- operation, a cleared or expired checkpoint) makes them meaningless: they are forgotten, so no
-- part skips lines of another file, or lines a reset asked to read again.
CREATE FUNCTION sync_jobs_forget_parts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ingest_part_bytes IS NOT DISTINCT FROM OLD.ingest_part_bytes
       AND (NEW.checkpoint_byte IS DISTINCT FROM OLD.checkpoint_byte
            OR NEW.checkpoint_line IS DISTINCT FROM OLD.checkpoint_line
            OR NEW.bulk_operation_id IS DISTINCT FROM OLD.bulk_operation_id) THEN
        NEW.ingest_part_lines := NULL;
        NEW.ingest_part_bytes := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER sync_jobs_forget_parts
    BEFORE UPDATE ON sync_jobs
    FOR EACH ROW EXECUTE FUNCTION sync_jobs_forget_parts();

-- The parts' positions with part ``part`` (0-based) of ``parts`` moved to ``value``; NULL
-- positions start at ``fill`` (the job's checkpoint).
CREATE FUNCTION ingest_parts_set(positions bigint[], fill bigint, parts int, part int, value bigint)
RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT p[1:part] || value || p[part + 2:parts]
    FROM (SELECT coalesce(positions, array_fill(fill, ARRAY[parts])) AS p) AS s
$$;

-- The smallest position: the job's checkpoint (every part's batches end at the same lines, so
-- the smallest line and the smallest byte belong to the same position).
CREATE FUNCTION ingest_parts_min(positions bigint[]) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT min(x) FROM unnest(positions) AS x
$$;

-- The raw documents are a few kB each: lz4 compresses them several times faster than pglz, at a
-- similar size (existing rows keep their compression until rewritten).
ALTER TABLE orders ALTER COLUMN raw SET COMPRESSION lz4;
ALTER TABLE line_items ALTER COLUMN raw SET COMPRESSION lz4;
ALTER TABLE pending_line_items ALTER COLUMN doc SET COMPRESSION lz4;
ALTER TABLE order_children ALTER COLUMN raw SET COMPRESSION lz4;
