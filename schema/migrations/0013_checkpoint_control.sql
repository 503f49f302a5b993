-- Job control (issue #9): a checkpoint can be cleared (clearCheckpoint, or expired by the
-- scheduler's TTL) and says when and why; a job that resumed a failed job's file names it.
ALTER TABLE sync_jobs
    ADD COLUMN checkpoint_cleared_at timestamptz,
    ADD COLUMN checkpoint_cleared_reason text,
    ADD COLUMN resumed_from_job_id bigint REFERENCES sync_jobs (id) ON DELETE SET NULL;

-- syncJobs' keyset pagination over a tenant's shops (created_at DESC, id DESC).
CREATE INDEX sync_jobs_created_id ON sync_jobs (created_at DESC, id DESC);

-- The TTL task: finished jobs that still hold a checkpoint, oldest first.
CREATE INDEX sync_jobs_finished_checkpoints ON sync_jobs (coalesce(checkpoint_at, finished_at))
    WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND checkpoint_byte > 0;
