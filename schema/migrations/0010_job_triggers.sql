-- Who started each job, and the RECONCILE mode (order ids compared with the mirror).
ALTER TABLE sync_jobs
    ADD COLUMN trigger text NOT NULL DEFAULT 'MANUAL'
        CHECK (trigger IN ('MANUAL', 'INITIAL', 'SCHEDULED', 'RETRY'));

ALTER TABLE sync_jobs DROP CONSTRAINT sync_jobs_sync_mode_check;
ALTER TABLE sync_jobs ADD CONSTRAINT sync_jobs_sync_mode_check
    CHECK (sync_mode IN ('POPULATE', 'UPDATE', 'FULL', 'RECONCILE'));
