-- Concurrent bulk operations per job: a POPULATE or FULL job (the parent, what the API shows)
-- may be split into child jobs, one per created_at range, each with its own operation,
-- checkpoint, lease and fence. Children are not the shop's active job; their counts add up on
-- the parent as they commit.
ALTER TABLE sync_jobs
    ADD COLUMN parent_job_id bigint REFERENCES sync_jobs (id) ON DELETE CASCADE,
    -- 1-based position of a child's range, and its bounds (NULL: open on that side).
    ADD COLUMN range_index integer,
    ADD COLUMN range_created_from timestamptz,
    ADD COLUMN range_created_before timestamptz,
    -- On a parent: how many operations it was planned with (NULL: not planned yet; 1: itself).
    ADD COLUMN range_count integer CHECK (range_count IS NULL OR range_count >= 1),
    ADD CONSTRAINT sync_jobs_range_of_child CHECK ((parent_job_id IS NULL) = (range_index IS NULL));

CREATE INDEX sync_jobs_children ON sync_jobs (parent_job_id) WHERE parent_job_id IS NOT NULL;

-- The parent is the shop's one active job; its children never collide with it.
DROP INDEX sync_jobs_one_active_per_shop;
CREATE UNIQUE INDEX sync_jobs_one_active_per_shop ON sync_jobs (shop_id)
    WHERE status IN ('QUEUED', 'RUNNING') AND parent_job_id IS NULL;

-- A child's counts, objects and file size go to its parent at the child's commit (deferred), so
-- the parent row (what every reader, the subscriptions' NOTIFY included, sees) is always the sum
-- of its children, a reset child (new operation) included. Deferred: the parent's row lock is
-- taken at commit, not for a whole batch, so children never wait on each other's merges; the
-- lock order is always child, then parent (cancelling locks children before the parent).
CREATE FUNCTION sync_jobs_add_to_parent() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE sync_jobs
       SET lines_read = lines_read + (NEW.lines_read - OLD.lines_read),
           bytes_read = bytes_read + (NEW.bytes_read - OLD.bytes_read),
           orders_created = orders_created + (NEW.orders_created - OLD.orders_created),
           orders_updated = orders_updated + (NEW.orders_updated - OLD.orders_updated),
           orders_unchanged = orders_unchanged + (NEW.orders_unchanged - OLD.orders_unchanged),
           orders_skipped = orders_skipped + (NEW.orders_skipped - OLD.orders_skipped),
           line_items_written = line_items_written
               + (NEW.line_items_written - OLD.line_items_written),
           line_items_skipped = line_items_skipped
               + (NEW.line_items_skipped - OLD.line_items_skipped),
           line_items_deleted = line_items_deleted
               + (NEW.line_items_deleted - OLD.line_items_deleted),
           failed_lines = failed_lines + (NEW.failed_lines - OLD.failed_lines),
           lines_superseded = lines_superseded + (NEW.lines_superseded - OLD.lines_superseded),
           orders_deleted = orders_deleted + (NEW.orders_deleted - OLD.orders_deleted),
           object_count = NULLIF(coalesce(object_count, 0)
               + coalesce(NEW.object_count, 0) - coalesce(OLD.object_count, 0), 0),
           root_object_count = NULLIF(coalesce(root_object_count, 0)
               + coalesce(NEW.root_object_count, 0) - coalesce(OLD.root_object_count, 0), 0),
           result_file_size = NULLIF(coalesce(result_file_size, 0)
               + coalesce(NEW.result_file_size, 0) - coalesce(OLD.result_file_size, 0), 0),
           updated_at = now()
     WHERE id = NEW.parent_job_id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER sync_jobs_children_add_to_parent
    AFTER UPDATE ON sync_jobs
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.parent_job_id IS NOT NULL AND (
        OLD.lines_read IS DISTINCT FROM NEW.lines_read
        OR OLD.bytes_read IS DISTINCT FROM NEW.bytes_read
        OR OLD.orders_created IS DISTINCT FROM NEW.orders_created
        OR OLD.orders_updated IS DISTINCT FROM NEW.orders_updated
        OR OLD.orders_unchanged IS DISTINCT FROM NEW.orders_unchanged
        OR OLD.orders_skipped IS DISTINCT FROM NEW.orders_skipped
        OR OLD.line_items_written IS DISTINCT FROM NEW.line_items_written
        OR OLD.line_items_skipped IS DISTINCT FROM NEW.line_items_skipped
        OR OLD.line_items_deleted IS DISTINCT FROM NEW.line_items_deleted
        OR OLD.failed_lines IS DISTINCT FROM NEW.failed_lines
        OR OLD.lines_superseded IS DISTINCT FROM NEW.lines_superseded
        OR OLD.orders_deleted IS DISTINCT FROM NEW.orders_deleted
        OR OLD.object_count IS DISTINCT FROM NEW.object_count
        OR OLD.root_object_count IS DISTINCT FROM NEW.root_object_count
        OR OLD.result_file_size IS DISTINCT FROM NEW.result_file_size))
    EXECUTE FUNCTION sync_jobs_add_to_parent();

-- Children are internal: only their parent's changes are announced. A parent's progress is its
-- bytes_read (its checkpoint never moves).
DROP TRIGGER sync_jobs_notify_insert ON sync_jobs;
CREATE TRIGGER sync_jobs_notify_insert AFTER INSERT ON sync_jobs
    FOR EACH ROW WHEN (NEW.parent_job_id IS NULL)
    EXECUTE FUNCTION notify_sync_job_event();

DROP TRIGGER sync_jobs_notify_update ON sync_jobs;
CREATE TRIGGER sync_jobs_notify_update AFTER UPDATE ON sync_jobs
    FOR EACH ROW WHEN (NEW.parent_job_id IS NULL AND (
        OLD.status IS DISTINCT FROM NEW.status
        OR OLD.bulk_status IS DISTINCT FROM NEW.bulk_status
        OR OLD.bulk_operation_id IS DISTINCT FROM NEW.bulk_operation_id
        OR OLD.object_count IS DISTINCT FROM NEW.object_count
        OR OLD.checkpoint_byte IS DISTINCT FROM NEW.checkpoint_byte
        OR OLD.bytes_read IS DISTINCT FROM NEW.bytes_read
        OR OLD.error IS DISTINCT FROM NEW.error))
    EXECUTE FUNCTION notify_sync_job_event();
