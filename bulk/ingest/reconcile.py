"""The RECONCILE mode's two database steps: stage each batch's order ids, and at the end of a
complete export mark the window's orders it did not list deleted (with their line items)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
import structlog

from bulk.errors import ReconcileRefused
from bulk.sql import queries

from .stats import IngestStats

_Q = queries("reconcile")

log = structlog.get_logger(__name__)


def stage_ids(cur: psycopg.Cursor[Any], *, job_id: int, superseded: int) -> IngestStats:
    """The batch staged in pg_temp.ingest_batch → the job's reconcile_ids. Lines that name an
    id already staged, or are not orders (an ids-only export has none), count as superseded
    (``superseded``: those the parse already set aside)."""
    cur.execute(_Q["stage_ids"], {"job_id": job_id})
    row = cur.fetchone()
    staged, rows = (int(row[0]), int(row[1])) if row else (0, 0)
    return IngestStats(lines_superseded=superseded + rows - staged)


def mark_deleted(
    cur: psycopg.Cursor[Any], *, job_id: int, shop_id: int, max_deleted_ratio: float
) -> IngestStats:
    """In the caller's (fenced) transaction: check that the export listed every order of its
    window it had, then mark the window's live orders it did not list deleted, and drop the
    staged ids. Raises ReconcileRefused, writing nothing, when the export cannot be trusted."""
    cur.execute(_Q["export_state"], {"job_id": job_id})
    state = cur.fetchone()
    if state is None:
        raise ReconcileRefused(f"job {job_id} not found")
    bulk_status, created_at, since, root_count, file_size, checkpoint, staged, open_dead = state
    _check_export(bulk_status, created_at, root_count, file_size, checkpoint, staged, open_dead)
    window = {"job_id": job_id, "shop_id": shop_id, "since": since, "until": created_at}
    cur.execute(_Q["window_counts"], window)
    counts = cur.fetchone()
    in_window, missing = (int(counts[0]), int(counts[1])) if counts else (0, 0)
    if missing and missing > max_deleted_ratio * in_window:
        raise ReconcileRefused(
            f"the export did not list {missing} of the {in_window} orders of its window, more "
            f"than the allowed share ({max_deleted_ratio:g}); nothing was marked deleted (does "
            "the app lack read_all_orders, which hides orders older than 60 days?)"
        )
    cur.execute(_Q["mark_missing_deleted"], window)
    row = cur.fetchone()
    orders, items = (int(row[0]), int(row[1])) if row else (0, 0)
    cur.execute(_Q["drop_ids"], {"job_id": job_id})
    log.info(
        "reconcile.orders_deleted",
        job_id=job_id,
        shop_id=shop_id,
        orders=orders,
        line_items=items,
        in_window=in_window,
    )
    return IngestStats(orders_deleted=orders)


def _check_export(
    bulk_status: str | None,
    created_at: datetime | None,
    root_count: int | None,
    file_size: int | None,
    checkpoint: int,
    staged: int,
    open_dead: int,
) -> None:
    """Every way a missing id could mean something else than a deleted order: refuse."""
    if bulk_status != "COMPLETED":
        raise ReconcileRefused(f"the export is {bulk_status}, not COMPLETED")
    if created_at is None:
        raise ReconcileRefused("Shopify did not say when the export began")
    if file_size is not None and checkpoint != file_size:
        raise ReconcileRefused(f"read {checkpoint} of the result file's {file_size} bytes")
    if open_dead:
        raise ReconcileRefused(f"{open_dead} lines of the export could not be read")
    if root_count is None or staged != root_count:
        raise ReconcileRefused(f"staged {staged} order ids, Shopify counted {root_count} orders")
