"""Concurrent bulk operations per job: a POPULATE or FULL job split into ``created_at`` ranges,
one child job (own operation, checkpoint, lease, fence) per range, and the parent's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .errors import LeaseLost
from .jobs import SyncJob, job_from_row
from .orders_query import CreatedRange, search_instant
from .sql import queries
from .types import JobStatus, SyncMode

_SQL = queries("ranges")

# Shopify runs this many bulk query operations of an app on a shop at once from API 2026-01
# (one before); a job never plans more.
CONCURRENT_SINCE = "2026-01"
MAX_CONCURRENT = 5
# Modes whose export is split: the whole shop or a created_at window. UPDATE exports what
# changed (small, and by updated_at); RECONCILE compares one whole export with the mirror.
SPLIT_MODES = frozenset({SyncMode.POPULATE, SyncMode.FULL})


def operations_for(job: SyncJob, *, configured: int, concurrent_allowed: bool) -> int:
    """How many operations ``job`` may run: min(setting, what the shop's version allows); 1 for
    modes never split, for a child, and for a job that already follows an operation (a RETRY
    continuing a file)."""
    if (
        job.sync_mode not in SPLIT_MODES
        or job.parent_job_id is not None
        or job.bulk_operation_id is not None
        or job.bulk_attempts > 0
        or not concurrent_allowed
    ):
        return 1
    return max(1, min(configured, MAX_CONCURRENT))


def window_search(job: SyncJob) -> str | None:
    """The search filter of the job's own export before any range (a POPULATE's window; None:
    every order), for the questions asked while planning: how many orders, and the oldest."""
    if job.sync_mode is SyncMode.POPULATE and job.filter_since is not None:
        return f"created_at:>='{search_instant(job.filter_since)}'"
    return None


def operations_by_size(orders: int, *, min_per_operation: int, most: int) -> int:
    """Operations for a window of ``orders`` (or at least that many): one per
    ``min_per_operation`` orders, at least 1 and at most ``most``."""
    return max(1, min(orders // min_per_operation, most))


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def plan_ranges(earliest: datetime | None, until: datetime, count: int) -> list[CreatedRange]:
    """``count`` ranges of equal span from ``earliest`` (the oldest order the job exports) to
    ``until`` (the job's start); the first is open downward, the last upward, so together they
    cover every order whatever its created_at. One open range when there is nothing to split."""
    if count <= 1 or earliest is None:
        return [CreatedRange()]
    start, end = _whole_second(earliest), _whole_second(until)
    span = (end - start) / count
    bounds: list[datetime] = []
    for index in range(1, count):
        bound = _whole_second(start + span * index)
        if bound > start and (not bounds or bound > bounds[-1]) and bound < end:
            bounds.append(bound)
    if not bounds:
        return [CreatedRange()]
    edges: list[datetime | None] = [None, *bounds, None]
    return [CreatedRange(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def describe(job: SyncJob, count: int) -> str:
    """``range 2 of 5 (created_at >= 2026-01-01T00:00:00Z, < 2026-03-01T00:00:00Z; job 7)``."""
    bounds = []
    if job.range_created_from is not None:
        bounds.append(f">= {search_instant(job.range_created_from)}")
    if job.range_created_before is not None:
        bounds.append(f"< {search_instant(job.range_created_before)}")
    where = f"created_at {', '.join(bounds)}" if bounds else "every created_at"
    return f"range {job.range_index} of {count} ({where}; job {job.id})"


def record_plan(
    conn: psycopg.Connection[Any],
    *,
    job_id: int,
    lease: Any,
    ranges: Sequence[CreatedRange],
) -> list[int]:
    """Fix the job's plan once, and for more than one range insert its QUEUED children, in one
    transaction fenced on the lease; returns the children's ids (to enqueue after the commit)."""
    params = {"job_id": job_id, "lease": lease}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_SQL["plan"], {**params, "range_count": len(ranges)})
        if cur.fetchone() is None:
            raise LeaseLost(f"job {job_id}: planned already, or no longer ours")
        if len(ranges) == 1:
            return []
        cur.execute(
            _SQL["insert_children"],
            {
                **params,
                "range_index": list(range(1, len(ranges) + 1)),
                "created_from": [r.start for r in ranges],
                "created_before": [r.end for r in ranges],
            },
        )
        return [int(row[0]) for row in cur.fetchall()]


def children(conn: psycopg.Connection[Any], job_id: int) -> list[SyncJob]:
    """The job's range children, in range order."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["children"], {"job_id": job_id})
        return [job_from_row(row) for row in cur.fetchall()]


@dataclass(frozen=True)
class CancelledChild:
    job_id: int
    operation_id: str | None
    bulk_status: str | None


def cancel_children(conn: psycopg.Connection[Any], job_id: int) -> list[CancelledChild]:
    """Mark the job's active children CANCELLED (their fence); call inside the transaction that
    then ends the parent, before touching the parent's row."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["cancel_children"], {"job_id": job_id})
        return [
            CancelledChild(row["id"], row["bulk_operation_id"], row["bulk_status"])
            for row in cur.fetchall()
        ]


@dataclass(frozen=True)
class Verdict:
    """What the children say about their parent: still running, all done, or one ended badly."""

    done: bool
    failed: SyncJob | None = None


def verdict(jobs: Sequence[SyncJob]) -> Verdict:
    """COMPLETED when every child is; the first (by range) FAILED or CANCELLED child fails the
    parent; otherwise it runs on."""
    for job in jobs:
        if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            return Verdict(done=True, failed=job)
    return Verdict(done=all(job.status is JobStatus.COMPLETED for job in jobs))


# A parent's bulk_status: the least advanced of its ranges' (a range between two operations,
# or not submitted yet, counts as CREATED).
_PROGRESS = ("CREATED", "RUNNING", "COMPLETED")


def summary_status(jobs: Sequence[SyncJob]) -> str | None:
    """The least advanced range's operation status, for the parent's ``bulk_status``."""
    if not jobs:
        return None
    ranks = []
    for job in jobs:
        status = "COMPLETED" if job.status is JobStatus.COMPLETED else job.bulk_status
        ranks.append(_PROGRESS.index(status) if status in _PROGRESS else 0)
    return _PROGRESS[min(ranks)]


def record_summary(conn: psycopg.Connection[Any], *, job_id: int, lease: Any, status: str) -> None:
    """Show ``status`` as the parent's bulk_status (unchanged: no write, no NOTIFY)."""
    with conn.cursor() as cur:
        params = {"job_id": job_id, "lease": lease, "bulk_status": status}
        cur.execute(_SQL["record_summary"], params)


def failure_message(child: SyncJob, count: int) -> str:
    """The parent's readable error naming the range that ended it."""
    if child.status is JobStatus.CANCELLED:
        return f"{describe(child, count)} was cancelled; the other ranges were cancelled"
    return f"{describe(child, count)} failed: {child.error}; the other ranges were cancelled"
