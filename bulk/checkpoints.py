"""Checkpoints of finished jobs: cleared on request or after a TTL, or adopted by a new job that
resumes a failed job's result file from its byte offset instead of exporting again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import structlog
from psycopg.rows import dict_row

from .jobs import CreatedJob, JobRequest, SyncJob, create_job, job_from_row
from .sql import queries

_SQL = queries("checkpoints")
log = structlog.get_logger(__name__)

# Shopify keeps a bulk operation's result downloadable for 7 days after it completed.
RESULT_LIFETIME_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class ExpiredCheckpoint:
    job_id: int
    shop_id: int


def clear_checkpoint(conn: psycopg.Connection[Any], job_id: int, *, reason: str) -> SyncJob | None:
    """Drop a finished job's checkpoint and result reference, recording when and ``reason``;
    None when the job does not exist or is still active."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["clear_checkpoint"], {"job_id": job_id, "reason": reason})
        row = cur.fetchone()
    return None if row is None else job_from_row(row)


def expire_checkpoints(
    conn: psycopg.Connection[Any], *, cutoff: datetime, reason: str, limit: int
) -> list[ExpiredCheckpoint]:
    """Clear the checkpoints of up to ``limit`` finished jobs checkpointed before ``cutoff``."""
    with conn.cursor() as cur:
        cur.execute(
            _SQL["expire_checkpoints"], {"cutoff": cutoff, "reason": reason, "limit": limit}
        )
        return [ExpiredCheckpoint(int(job_id), int(shop_id)) for job_id, shop_id in cur.fetchall()]


def adopt_failed_checkpoint(
    conn: psycopg.Connection[Any],
    job: SyncJob,
    *,
    result_lifetime_s: float = RESULT_LIFETIME_S,
) -> SyncJob | None:
    """Let the new QUEUED ``job`` continue its shop's last job's file, when that job FAILED
    mid-file with the same request and its result is still downloadable.

    The job becomes a RETRY naming the failed one, follows its (COMPLETED) operation from its
    checkpoint and takes over its ingest state: counts, per-order decisions, parked line items,
    open dead letters and the rows it wrote. The failed job's checkpoint is consumed. Call it in
    the transaction that inserted ``job``, before the job is enqueued. None: nothing to resume.
    """
    params: dict[str, Any] = {"job_id": job.id, "result_lifetime_s": result_lifetime_s}
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["adopt_failed_checkpoint"], params)
        row = cur.fetchone()
        if row is None:
            return None
        resumed = job_from_row(row)
        failed_id = resumed.resumed_from_job_id
        hand_over = {"job_id": job.id, "from_job_id": failed_id, "shop_id": job.shop_id}
        for name in (
            "hand_over_job_orders",
            "hand_over_pending_line_items",
            "hand_over_dead_letters",
            "hand_over_orders",
            "hand_over_line_items",
            "hand_over_order_children",
        ):
            cur.execute(_SQL[name], hand_over)
        cur.execute(
            _SQL["remember_adopted_operation"],
            {**hand_over, "operation_id": resumed.bulk_operation_id},
        )
    log.info(
        "job.resumed_checkpoint",
        job_id=job.id,
        shop_id=job.shop_id,
        resumed_from_job_id=failed_id,
        operation_id=resumed.bulk_operation_id,
        checkpoint_byte=resumed.checkpoint_byte,
    )
    return resumed


def create_resuming_job(
    conn: psycopg.Connection[Any],
    request: JobRequest,
    *,
    result_lifetime_s: float = RESULT_LIFETIME_S,
) -> CreatedJob:
    """``create_job``, and a job it created resumes its shop's failed file when it can (see
    ``adopt_failed_checkpoint``), in one transaction."""
    with conn.transaction():
        created = create_job(conn, request)
        if not created.created:
            return created
        resumed = adopt_failed_checkpoint(conn, created.job, result_lifetime_s=result_lifetime_s)
    return created if resumed is None else CreatedJob(resumed, created=True)
