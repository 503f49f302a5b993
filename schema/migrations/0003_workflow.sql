-- Job workflow support: an in-doubt submit marker (a bulkOperationRunQuery whose answer was lost
-- must be reconciled before resubmitting), bounded transient-failure and URL-refresh counters,
-- and a NOTIFY on every job state change and every committed batch (checkpoint move).

ALTER TABLE sync_jobs
    ADD COLUMN submit_started_at   timestamptz,
    ADD COLUMN transient_failures  integer NOT NULL DEFAULT 0,
    ADD COLUMN url_refreshes       integer NOT NULL DEFAULT 0;

CREATE FUNCTION notify_sync_job_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(
        'sync_job_events',
        json_build_object('job_id', NEW.id, 'shop_id', NEW.shop_id, 'status', NEW.status)::text
    );
    RETURN NULL;
END;
$$;

-- A trigger, so writers outside the workflow (the ingest's batch commits) notify too, in the
-- same transaction as their change.
CREATE TRIGGER sync_jobs_notify_insert
    AFTER INSERT ON sync_jobs
    FOR EACH ROW EXECUTE FUNCTION notify_sync_job_event();

CREATE TRIGGER sync_jobs_notify_update
    AFTER UPDATE ON sync_jobs
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.bulk_status IS DISTINCT FROM NEW.bulk_status
          OR OLD.bulk_operation_id IS DISTINCT FROM NEW.bulk_operation_id
          OR OLD.object_count IS DISTINCT FROM NEW.object_count
          OR OLD.checkpoint_byte IS DISTINCT FROM NEW.checkpoint_byte
          OR OLD.error IS DISTINCT FROM NEW.error)
    EXECUTE FUNCTION notify_sync_job_event();
