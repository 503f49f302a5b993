"""Recovering jobs whose step message was lost: re-enqueue them, or fail them once their
delivery budget is spent. Safe to run from several schedulers at once (rows are claimed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg.rows import dict_row

from .crashes import delivery_budget_error
from .sql import queries

_SQL = queries("sweeper")

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Sweep:
    """What one sweep did: the jobs re-enqueued and the jobs failed, by id."""

    requeued: list[int]
    failed: list[int]


def sweep_lost_jobs(
    conn: psycopg.Connection[Any],
    enqueue: Callable[[int], None],
    *,
    grace_s: float,
    max_deliveries: int,
    limit: int = 100,
) -> Sweep:
    """Fail the lost jobs whose budget is spent, claim the other lost ones and ``enqueue`` each.

    A claim commits before its message is sent: if sending fails, the job is lost again one
    grace period later and the next sweep retries it.
    """
    params = {"grace_s": grace_s, "max_deliveries": max_deliveries, "limit": limit}
    failed: list[tuple[dict[str, Any], str]] = []
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["lock_spent_jobs"], params)
        for row in cur.fetchall():
            error = delivery_budget_error(row["deliveries"], row["step_error"])
            cur.execute(_SQL["fail_spent_job"], {"job_id": row["id"], "error": error})
            failed.append((row, error))
    for row, error in failed:
        # The same event as a step's failure (LeasedJob.fail): one line per failed job.
        log.warning(
            "job.failed", job_id=row["id"], shop_id=row["shop_id"], error=error, by="sweeper"
        )
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_SQL["claim_lost_jobs"], params)
        lost = sorted((int(job_id), int(shop_id)) for job_id, shop_id in cur.fetchall())
    for job_id, shop_id in lost:
        enqueue(job_id)
        log.info("sweeper.requeued", job_id=job_id, shop_id=shop_id)
    return Sweep(requeued=[job_id for job_id, _ in lost], failed=[row["id"] for row, _ in failed])
