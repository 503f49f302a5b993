-- Per-shop sync schedules, and the ledger of their slots: its primary key is what makes "one
-- job per slot" hold with any number of schedulers and across restarts.
CREATE TABLE sync_schedules (
    shop_id bigint PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    -- UPDATE slots: anchor + k * update_every_s (NULL: no periodic UPDATE). Seconds, so tests
    -- can run second-scale schedules; the API takes minutes.
    update_every_s integer CHECK (update_every_s > 0),
    stale_margin_s integer NOT NULL DEFAULT 0 CHECK (stale_margin_s >= 0),
    update_anchor_at timestamptz NOT NULL DEFAULT '2000-01-01 00:00:00+00',
    next_update_at timestamptz,
    -- RECONCILE slots, likewise (the API sets a day, anchored at the chosen UTC time).
    reconcile_every_s integer CHECK (reconcile_every_s > 0),
    reconcile_anchor_at timestamptz NOT NULL DEFAULT '2000-01-01 03:00:00+00',
    next_reconcile_at timestamptz,
    -- Slots before this instant are not "missed": a new or changed schedule starts here.
    active_since timestamptz NOT NULL DEFAULT now(),
    paused boolean NOT NULL DEFAULT false,
    -- ADMIN (setSyncSchedule) or SHOP_UNAVAILABLE (a job failed on a frozen/locked shop; a
    -- completed manual sync lifts it).
    pause_cause text CHECK (pause_cause IN ('ADMIN', 'SHOP_UNAVAILABLE')),
    paused_reason text,
    paused_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (paused = (pause_cause IS NOT NULL) AND paused = (paused_at IS NOT NULL)),
    CHECK (next_update_at IS NULL OR update_every_s IS NOT NULL),
    CHECK (next_reconcile_at IS NULL OR reconcile_every_s IS NOT NULL)
);

-- The scheduler's scan: schedules with a slot due (LEAST ignores NULLs).
CREATE INDEX sync_schedules_next_due ON sync_schedules ((LEAST(next_update_at, next_reconcile_at)));

CREATE TABLE schedule_slots (
    shop_id bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('UPDATE', 'RECONCILE')),
    slot_at timestamptz NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('STARTED', 'SKIPPED_ACTIVE_JOB', 'SKIPPED_PAUSED')),
    -- STARTED: the job this slot created; SKIPPED_ACTIVE_JOB: the active job it found.
    job_id bigint REFERENCES sync_jobs (id) ON DELETE SET NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, kind, slot_at)
);

CREATE INDEX schedule_slots_recent ON schedule_slots (shop_id, slot_at DESC);
