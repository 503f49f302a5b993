"""RECONCILE end to end against the simulator: orders Shopify no longer has are marked deleted,
with their line items, only from a whole export and only inside the window it covered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from bulk.jobs import JobRequest, create_job
from bulk.types import JobStatus, SyncMode
from bulk.workflow import Step, cancel_job
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    SHOP,
    add_fault,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    run_job,
    run_until_done,
    sim_config,
    store_shop,
)
from tests.support.token_keys import TEST_CIPHER

ORDERS = 40


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


@pytest.fixture
def shop_id(server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str) -> int:
    """The shop, mirrored by a FULL sync."""
    shop = store_shop(conn, server)
    full = new_job(conn, shop)
    run_job(database_url, full)
    assert job_of(conn, full).status is JobStatus.COMPLETED
    return shop


def _delete_in_shopify(server: SimulatorServer, conn: psycopg.Connection[Any], n: int) -> set[str]:
    """Delete ``n`` mirrored orders (spread over the shop's history) in the simulator."""
    rows = conn.execute(
        "SELECT id, legacy_resource_id FROM orders ORDER BY created_at OFFSET 1"
    ).fetchall()
    chosen = rows[:: max(len(rows) // n, 1)][:n]
    for _, legacy in chosen:
        response = httpx.delete(f"{server.base_url}/_sim/shops/{SHOP}/orders/{legacy}")
        response.raise_for_status()
    return {str(order_id) for order_id, _ in chosen}


def _deleted(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute("SELECT id FROM orders WHERE deleted_at IS NOT NULL").fetchall()
    return {str(row[0]) for row in rows}


def _deleted_items(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT DISTINCT order_id FROM line_items WHERE deleted_at IS NOT NULL"
    ).fetchall()
    return {str(row[0]) for row in rows}


def _count(conn: psycopg.Connection[Any], sql: str) -> int:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_reconcile_marks_exactly_the_orders_shopify_deleted_with_their_line_items(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    items_before = _count(conn, "SELECT count(*) FROM line_items")
    gone = _delete_in_shopify(server, conn, 4)
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, job_id, settings={"batch_bytes": 256})

    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.stats.orders_deleted == 4
    assert job.stats.lines_read == ORDERS - 4
    assert job.stats.orders_created == job.stats.orders_updated == 0
    assert _deleted(conn) == gone
    assert _deleted_items(conn) == gone
    gone_items = _count(conn, "SELECT count(*) FROM line_items WHERE deleted_at IS NOT NULL")
    assert gone_items > 0
    # Kept for audit, hidden from the default read path.
    assert _count(conn, "SELECT count(*) FROM orders") == ORDERS
    assert _count(conn, "SELECT count(*) FROM live_orders") == ORDERS - 4
    assert _count(conn, "SELECT count(*) FROM line_items") == items_before
    assert _count(conn, "SELECT count(*) FROM live_line_items") == items_before - gone_items
    assert _count(conn, "SELECT count(*) FROM reconcile_ids") == 0

    # A second reconcile finds nothing more to delete.
    again = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, again)
    assert job_of(conn, again).stats.orders_deleted == 0
    assert _deleted(conn) == gone


def test_the_export_asks_for_order_ids_only(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, job_id)
    ops = httpx.get(f"{server.base_url}/_sim/operations", params={"shop": SHOP}).json()
    assert "lineItems" not in ops[-1]["query"] and "updatedAt" not in ops[-1]["query"]
    job = job_of(conn, job_id)
    assert job.object_count == job.root_object_count == ORDERS
    assert (job.result_file_size or 0) < ORDERS * 60  # one short line per order


def test_a_failed_export_with_partial_data_deletes_nothing(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    _delete_in_shopify(server, conn, 3)
    add_fault(
        server,
        "fail_operation",
        params={"error_code": "ACCESS_DENIED", "partial": True, "after_objects": 5},
    )
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, job_id)

    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED
    assert job.stats.orders_deleted == 0 and job.stats.lines_read == 0
    assert _deleted(conn) == set()


def test_a_partial_export_is_replaced_and_only_the_whole_one_counts(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    gone = _delete_in_shopify(server, conn, 3)
    # The first operation fails (retryable) after 5 objects with a partialDataUrl: resubmitted.
    add_fault(
        server,
        "fail_operation",
        count=1,
        params={"error_code": "INTERNAL_SERVER_ERROR", "partial": True, "after_objects": 5},
    )
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, job_id)

    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.bulk_attempts == 2
    assert job.stats.orders_deleted == 3
    assert _deleted(conn) == gone


def test_a_cancelled_reconcile_deletes_nothing(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    _delete_in_shopify(server, conn, 3)
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    settings = fast_settings(database_url, batch_bytes=64, ingest_slice_s=1e-6)

    def cancel_mid_file(number: int, step: Step) -> None:
        if job_of(conn, job_id).checkpoint_byte > 0:
            assert cancel_job(conn, job_id, TEST_CIPHER)

    with open_pool(database_url) as pool:
        run_until_done(make_runner(pool, settings), job_id, between=cancel_mid_file)

    job = job_of(conn, job_id)
    assert job.status is JobStatus.CANCELLED
    assert 0 < job.checkpoint_byte < (job.result_file_size or 0)
    assert job.stats.orders_deleted == 0
    assert _deleted(conn) == set()
    assert _count(conn, "SELECT count(*) FROM reconcile_ids") == 0  # dropped with the job


def test_a_reconcile_interrupted_mid_file_resumes_from_its_checkpoint(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    gone = _delete_in_shopify(server, conn, 3)
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    # The download is cut twice mid-file: each step resumes at the committed checkpoint.
    add_fault(server, "download_cut", count=2, params={"at_byte": 300})
    run_job(database_url, job_id, settings={"batch_bytes": 128})

    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.stats.lines_read == ORDERS - 3  # no line read twice
    assert job.stats.bytes_read == job.result_file_size
    assert job.stats.lines_superseded == 0
    assert job.stats.orders_deleted == 3
    assert _deleted(conn) == gone


def test_orders_created_or_updated_after_the_export_began_are_never_deleted(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    # In the mirror only (Shopify never listed them): one created before the export began and
    # within the window (deleted), one created after it began (kept; its updatedAt is old so
    # that only the creation bound keeps it), one updated after it began (kept: alive then).
    later = "now() + interval '1 hour'"
    for legacy, created, updated in (
        (9001, "'2020-01-01'", "'2020-01-01'"),
        (9002, later, "'2020-01-01'"),
        (9003, "'2020-01-01'", later),
    ):
        conn.execute(
            "INSERT INTO orders (shop_id, id, legacy_resource_id, created_at, updated_at, raw)"
            f" VALUES (%s, %s, %s, {created}, {updated}, '{{}}')",
            (shop_id, f"gid://shopify/Order/{legacy}", legacy),
        )
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, job_id)
    assert job_of(conn, job_id).status is JobStatus.COMPLETED
    assert _deleted(conn) == {"gid://shopify/Order/9001"}


def test_days_limits_the_window(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    gone = _delete_in_shopify(server, conn, 4)
    newest = conn.execute(
        "SELECT created_at FROM orders ORDER BY created_at DESC LIMIT 1 OFFSET 9"
    ).fetchone()
    assert newest is not None
    days_row = conn.execute(
        "SELECT ceil(extract(epoch FROM now() - %s) / 86400)::int", (newest[0],)
    ).fetchone()
    assert days_row is not None
    days = int(days_row[0])
    created = create_job(conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.RECONCILE, days=days))
    job = created.job
    assert job.filter_since is not None
    run_job(database_url, job.id)

    done = job_of(conn, job.id)
    assert done.status is JobStatus.COMPLETED, done.error
    in_window = {
        str(r[0])
        for r in conn.execute(
            "SELECT id FROM orders WHERE created_at >= %s", (job.filter_since,)
        ).fetchall()
    }
    assert _deleted(conn) == gone & in_window
    assert done.stats.orders_deleted == len(gone & in_window)
    assert gone - in_window  # some deleted orders were outside the window: left alone


def test_more_missing_than_the_allowed_share_marks_nothing_and_fails(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, shop_id: int
) -> None:
    _delete_in_shopify(server, conn, 12)
    job_id = new_job(conn, shop_id, SyncMode.RECONCILE)
    run_job(database_url, job_id, settings={"reconcile_max_deleted_ratio": 0.25})

    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error is not None and "12 of the 40 orders" in job.error
    assert _deleted(conn) == set()
    assert _count(conn, "SELECT count(*) FROM reconcile_ids") == 0
