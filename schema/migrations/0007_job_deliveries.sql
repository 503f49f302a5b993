-- Every job ends (issue #6). A per-job count of step deliveries, since SIGKILL and OOM bypass
-- the broker's retry count; the error of the last step that crashed; and when the job's next
-- step is due, so the scheduler's sweeper can tell a lost message from a long backoff.

ALTER TABLE sync_jobs
    -- Deliveries since the last step that finished cleanly: +1 when a worker takes the lease,
    -- 0 when a step returns normally (so a long job's many polls never add up).
    ADD COLUMN deliveries    integer NOT NULL DEFAULT 0,
    -- The error of the last step that did not finish cleanly; cleared by a clean step.
    ADD COLUMN step_error    text,
    -- When the next step's message is due (a new job: at once); set whenever a step ends.
    ADD COLUMN next_step_at  timestamptz NOT NULL DEFAULT now(),
    -- Lost messages the sweeper re-enqueued.
    ADD COLUMN requeues      integer NOT NULL DEFAULT 0;

-- The sweeper's scan: active jobs by when their next step was due.
CREATE INDEX sync_jobs_active_next_step ON sync_jobs (next_step_at)
    WHERE status IN ('QUEUED', 'RUNNING');
