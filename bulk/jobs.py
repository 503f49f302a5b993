"""Sync jobs: creating one per request (one active per shop), reading them back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .errors import InvalidArgument
from .ingest.stats import STAT_FIELDS, IngestStats
from .sql import queries
from .types import JobStatus, JobTrigger, JobType, SyncMode

_SQL = queries("jobs")

# Bounds that keep a request meaningful: Shopify keeps orders for years, not centuries.
MAX_DAYS = 36_500
MAX_STALE_AFTER_MINS = MAX_DAYS * 24 * 60
# Modes whose export may be limited to the orders created in the last ``days``.
_WINDOWED = frozenset({SyncMode.POPULATE, SyncMode.RECONCILE})


@dataclass(frozen=True)
class SyncJob:
    id: int
    shop_id: int
    job_type: JobType
    sync_mode: SyncMode
    trigger: JobTrigger
    status: JobStatus
    days: int | None
    stale_after_mins: int | None
    filter_since: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    error: str | None
    bulk_operation_id: str | None
    bulk_status: str | None
    bulk_attempts: int
    poll_count: int
    result_file_size: int | None
    object_count: int | None
    root_object_count: int | None
    checkpoint_line: int
    checkpoint_byte: int
    stats: IngestStats
    # Set when the checkpoint was dropped (clearCheckpoint, the TTL, or a job resuming it).
    checkpoint_cleared_at: datetime | None = None
    checkpoint_cleared_reason: str | None = None
    # The FAILED job whose file this job continued from its checkpoint, if any.
    resumed_from_job_id: int | None = None
    # The signed result URL is a bearer credential for the shop's data: never printed.
    result_url: str | None = field(default=None, repr=False)
    # Concurrent operations (bulk/ranges.py): a child's parent and created_at range (1-based
    # position; None bounds are open), and on a parent the operations it was planned with.
    parent_job_id: int | None = None
    range_index: int | None = None
    range_created_from: datetime | None = None
    range_created_before: datetime | None = None
    range_count: int | None = None


def job_from_row(row: dict[str, Any]) -> SyncJob:
    """Build a SyncJob from a ``sync_jobs`` row fetched as a dict."""
    return SyncJob(
        id=row["id"],
        shop_id=row["shop_id"],
        job_type=JobType(row["job_type"]),
        sync_mode=SyncMode(row["sync_mode"]),
        trigger=JobTrigger(row["trigger"]),
        status=JobStatus(row["status"]),
        days=row["days"],
        stale_after_mins=row["stale_after_mins"],
        filter_since=row["filter_since"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        updated_at=row["updated_at"],
        error=row["error"],
        bulk_operation_id=row["bulk_operation_id"],
        bulk_status=row["bulk_status"],
        bulk_attempts=row["bulk_attempts"],
        poll_count=row["poll_count"],
        result_file_size=row["result_file_size"],
        object_count=row["object_count"],
        root_object_count=row["root_object_count"],
        checkpoint_line=row["checkpoint_line"],
        checkpoint_byte=row["checkpoint_byte"],
        stats=IngestStats(**{name: row[name] for name in STAT_FIELDS}),
        checkpoint_cleared_at=row["checkpoint_cleared_at"],
        checkpoint_cleared_reason=row["checkpoint_cleared_reason"],
        resumed_from_job_id=row["resumed_from_job_id"],
        result_url=row["result_url"],
        parent_job_id=row["parent_job_id"],
        range_index=row["range_index"],
        range_created_from=row["range_created_from"],
        range_created_before=row["range_created_before"],
        range_count=row["range_count"],
    )


@dataclass(frozen=True)
class JobRequest:
    shop_id: int
    sync_mode: SyncMode = SyncMode.FULL
    job_type: JobType = JobType.ORDERS
    days: int | None = None
    stale_after_mins: int | None = None
    trigger: JobTrigger = JobTrigger.MANUAL

    def validate(self) -> None:
        """Raise InvalidArgument naming the first argument that cannot work for the mode."""
        if self.days is not None and not 0 < self.days <= MAX_DAYS:
            raise InvalidArgument("days", f"days must be between 1 and {MAX_DAYS}")
        if self.stale_after_mins is not None and not (
            0 < self.stale_after_mins <= MAX_STALE_AFTER_MINS
        ):
            raise InvalidArgument(
                "staleAfterMins", f"staleAfterMins must be between 1 and {MAX_STALE_AFTER_MINS}"
            )
        if self.sync_mode is SyncMode.UPDATE and self.stale_after_mins is None:
            raise InvalidArgument("staleAfterMins", "staleAfterMins is required for UPDATE")
        if self.sync_mode is not SyncMode.UPDATE and self.stale_after_mins is not None:
            raise InvalidArgument("staleAfterMins", "staleAfterMins only applies to UPDATE")
        if self.sync_mode not in _WINDOWED and self.days is not None:
            raise InvalidArgument("days", "days only applies to POPULATE and RECONCILE")


@dataclass(frozen=True)
class CreatedJob:
    job: SyncJob
    created: bool  # False: the shop already had an active job, which is returned instead


def create_job(conn: psycopg.Connection[Any], request: JobRequest) -> CreatedJob:
    """Insert a QUEUED job, or return the shop's active one: never two active jobs per shop."""
    request.validate()
    params = {
        "shop_id": request.shop_id,
        "job_type": request.job_type.value,
        "sync_mode": request.sync_mode.value,
        "days": request.days,
        "stale_after_mins": request.stale_after_mins,
        "trigger": request.trigger.value,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        # Loop: the active job we collided with may finish between the two statements.
        for _ in range(10):
            cur.execute(_SQL["insert_job"], params)
            row = cur.fetchone()
            if row is not None:
                return CreatedJob(job_from_row(row), created=True)
            cur.execute(_SQL["active_job_for_shop"], {"shop_id": request.shop_id})
            row = cur.fetchone()
            if row is not None:
                return CreatedJob(job_from_row(row), created=False)
    raise RuntimeError("could not create or find an active job")  # pragma: no cover


def count_jobs_by_state(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str, int]]:
    """How many jobs of every tenant have each (status, mode, trigger)."""
    with conn.cursor() as cur:
        cur.execute(_SQL["count_jobs_by_state"])
        return [(str(s), str(m), str(t), int(n)) for s, m, t, n in cur.fetchall()]


def get_job(conn: psycopg.Connection[Any], job_id: int) -> SyncJob | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["get_job"], {"job_id": job_id})
        row = cur.fetchone()
    return None if row is None else job_from_row(row)


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a listing returns; None matches every value."""

    status: JobStatus | None = None
    sync_mode: SyncMode | None = None
    trigger: JobTrigger | None = None


@dataclass(frozen=True)
class JobPosition:
    """A job's place in the newest-first order: a listing ``after`` it starts with the next."""

    created_at: datetime
    id: int

    @classmethod
    def of(cls, job: SyncJob) -> JobPosition:
        return cls(job.created_at, job.id)


def list_jobs(
    conn: psycopg.Connection[Any],
    *,
    shop_id: int | None = None,
    first: int = 50,
    tenant_id: int | None = None,
    where: JobFilter | None = None,
    after: JobPosition | None = None,
) -> list[SyncJob]:
    """Newest first (created_at, then id); of one shop and/or of one tenant's shops when given,
    matching ``where``, strictly after ``after`` (keyset pagination)."""
    where = where or JobFilter()
    params = {
        "shop_id": shop_id,
        "first": first,
        "tenant_id": tenant_id,
        "status": None if where.status is None else where.status.value,
        "sync_mode": None if where.sync_mode is None else where.sync_mode.value,
        "trigger": None if where.trigger is None else where.trigger.value,
        "after_created_at": None if after is None else after.created_at,
        "after_id": None if after is None else after.id,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["list_jobs"], params)
        return [job_from_row(row) for row in cur.fetchall()]


def find_active_job_for_operation(
    conn: psycopg.Connection[Any], operation_id: str
) -> SyncJob | None:
    """The queued or running job following the bulk operation ``operation_id``, if any."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["active_job_for_operation"], {"operation_id": operation_id})
        row = cur.fetchone()
    return None if row is None else job_from_row(row)
