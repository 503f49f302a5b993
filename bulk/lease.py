"""The job lease: taking it, and the workflow's writes to a job, fenced on the lease and the job
being active."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
import structlog
from psycopg.rows import dict_row

from .errors import LeaseLost
from .jobs import SyncJob, job_from_row
from .shopify.operation import BulkOperation
from .sql import queries
from .types import JobStatus

_SQL = queries("lease")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LeaseRefused:
    """The job is not ours to advance now: it is finished, unknown, or leased by a live worker."""

    status: JobStatus | None  # None: no such job
    lease_left_s: float


class PollAges(NamedTuple):
    """How long a polled operation has been in its status and since it was submitted (s)."""

    in_status_s: float
    since_submit_s: float


def _one(cur: psycopg.Cursor[dict[str, Any]]) -> dict[str, Any]:
    row = cur.fetchone()
    if row is None:
        raise LeaseLost("a fenced write changed nothing: the job ended or the lease moved on")
    return row


def take_lease(
    conn: psycopg.Connection[Any], job_id: int, *, ttl_s: float
) -> LeasedJob | LeaseRefused:
    """Lease an active job whose lease is free or expired; else say why not."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["take_lease"], {"job_id": job_id, "ttl_s": ttl_s})
        row = cur.fetchone()
        if row is not None:
            return LeasedJob(conn, row)
        cur.execute(_SQL["lease_state"], {"job_id": job_id})
        state = cur.fetchone()
    if state is None:
        return LeaseRefused(None, 0.0)
    return LeaseRefused(JobStatus(state["status"]), float(state["lease_left_s"] or 0.0))


class LeasedJob:
    """Writes to one job under one lease; every method raises LeaseLost when nothing changed."""

    def __init__(self, conn: psycopg.Connection[Any], row: dict[str, Any]) -> None:
        self.conn = conn
        self.lease: uuid.UUID = row["lease_token"]
        self.row = row
        self.job: SyncJob = job_from_row(row)

    @property
    def submit_started_at(self) -> datetime | None:
        value: datetime | None = self.row["submit_started_at"]
        return value

    @property
    def url_refreshes(self) -> int:
        return int(self.row["url_refreshes"])

    def _params(self, **extra: Any) -> dict[str, Any]:
        return {"job_id": self.job.id, "lease": self.lease, **extra}

    def _update(self, name: str, **extra: Any) -> dict[str, Any]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_SQL[name], self._params(**extra))
            row = _one(cur)
        if "shop_id" in row:  # a whole row came back: keep the view of the job current
            self.row = row
            self.job = job_from_row(row)
        else:
            self.row = {**self.row, **row}
        return row

    @property
    def deliveries(self) -> int:
        """Deliveries since the last clean step, this one included."""
        return int(self.row["deliveries"])

    @property
    def step_error(self) -> str | None:
        """The error of the last step that did not finish cleanly, if one was recorded."""
        value: str | None = self.row["step_error"]
        return value

    def release(self, *, next_step_in_s: float) -> None:
        """After a clean step: free the lease, reset the delivery count, note the next step."""
        self.conn.execute(_SQL["release_lease"], self._params(next_step_in_s=next_step_in_s))

    def mark_running(self) -> None:
        self._update("mark_running")

    def begin_submit(self) -> datetime:
        started: datetime = self._update("begin_submit")["submit_started_at"]
        return started

    def clear_submit(self) -> None:
        self._update("clear_submit")
        self.row = {**self.row, "submit_started_at": None}

    def record_submission(
        self, operation: BulkOperation, *, new_attempt: bool, role: str = "submitted"
    ) -> None:
        """Follow ``operation`` from now on; it is remembered as this job's (``role``: submitted
        or adopted), so reconciliation in any later job excludes it."""
        self._update(
            "record_submission",
            operation_id=operation.id,
            bulk_status=operation.status.value,
            attempt_increment=1 if new_attempt else 0,
            object_count=operation.object_count,
            root_object_count=operation.root_object_count,
            role=role,
        )

    def remember_operations(self, operation_ids: Sequence[str]) -> None:
        """Operations that exist right before a submit: never this submit's, whatever the clocks."""
        if not operation_ids:
            return
        with self.conn.cursor() as cur:
            cur.execute(
                _SQL["remember_operations"], self._params(operation_ids=list(operation_ids))
            )

    def known_operations(self) -> frozenset[str]:
        """Every operation a job of this shop submitted, adopted or saw before submitting."""
        with self.conn.cursor() as cur:
            cur.execute(_SQL["known_operations"], self._params())
            return frozenset(str(row[0]) for row in cur.fetchall())

    def drop_operation(self, *, bulk_status: str, error: str) -> None:
        self._update("drop_operation", bulk_status=bulk_status, error=error)

    def record_poll(self, operation: BulkOperation) -> PollAges:
        """Record what a poll saw; returns how long (s) the operation has been in its status and
        since it was submitted (both on the database's clock)."""
        row = self._update(
            "record_poll",
            operation_id=operation.id,
            bulk_status=operation.status.value,
            object_count=operation.object_count,
            root_object_count=operation.root_object_count,
        )
        return PollAges(
            in_status_s=float(row["bulk_status_age_s"] or 0.0),
            since_submit_s=float(row["bulk_submitted_age_s"] or 0.0),
        )

    def record_result(self, operation: BulkOperation) -> None:
        self._update(
            "record_result",
            operation_id=operation.id,
            url=operation.url,
            file_size=operation.file_size,
            object_count=operation.object_count,
            root_object_count=operation.root_object_count,
            created_at=operation.created_at,
        )

    def refresh_url(self, operation: BulkOperation) -> None:
        self._update("refresh_url", operation_id=operation.id, url=operation.url)

    def checkpoint_byte(self) -> int:
        """The committed checkpoint as it is now (the ingest advances it in its own commits)."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_SQL["checkpoint_of"], self._params())
            return int(_one(cur)["checkpoint_byte"])

    def record_progress(self) -> None:
        self._update("record_progress")

    def record_transient_failure(self, error: str) -> int:
        return int(self._update("record_transient_failure", error=error)["transient_failures"])

    def complete(self) -> None:
        self._update("complete_job")

    def fail(self, error: str) -> None:
        self._update("fail_job", error=error)
        # The one place a step fails a job: one line for every way it can.
        log.warning("job.failed", job_id=self.job.id, shop_id=self.job.shop_id, error=error)


def release_crashed(
    conn: psycopg.Connection[Any],
    job_id: int,
    lease: uuid.UUID,
    *,
    error: str,
    next_step_in_s: float,
) -> bool:
    """After a step raised: free the lease and record ``error``; False if no longer ours."""
    params = {"job_id": job_id, "lease": lease, "error": error, "next_step_in_s": next_step_in_s}
    with conn.cursor() as cur:
        cur.execute(_SQL["release_crashed"], params)
        return cur.fetchone() is not None


def cancel_job_row(conn: psycopg.Connection[Any], job_id: int) -> dict[str, Any] | None:
    """Mark an active job CANCELLED; returns its shop and operation, or None if not active."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["cancel_job"], {"job_id": job_id})
        return cur.fetchone()
