"""Value types shared by the engine, the workers and the API."""

from __future__ import annotations

import enum


class SyncMode(enum.StrEnum):
    POPULATE = "POPULATE"  # create orders not yet stored, skip existing ones and their line items
    UPDATE = "UPDATE"  # orders updated since a staleness threshold: create or update
    FULL = "FULL"  # everything, upserted (never overwriting with older data)
    # Order ids only, compared with the mirror: orders Shopify no longer has are marked deleted.
    RECONCILE = "RECONCILE"


class JobTrigger(enum.StrEnum):
    """Who or what started a job."""

    MANUAL = "MANUAL"  # startSyncJob, the CLI, the REST contract
    INITIAL = "INITIAL"  # the POPULATE that connectShop starts
    SCHEDULED = "SCHEDULED"  # a slot of the shop's sync schedule
    RETRY = "RETRY"  # a retry of dead letters or of a failed job


class JobType(enum.StrEnum):
    ORDERS = "ORDERS"


class JobStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)
