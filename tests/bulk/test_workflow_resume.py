"""Resume-on-start: a new job of a shop whose last job FAILED mid-file continues that job's file
from its checkpoint (real simulator over HTTP, real Postgres), or starts afresh when it cannot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from bulk.checkpoints import create_resuming_job
from bulk.jobs import JobRequest, SyncJob
from bulk.types import JobStatus, JobTrigger, SyncMode
from simulator.server import SimulatorServer
from tests.support.ingest import assert_identity
from tests.support.mirror import assert_mirror
from tests.support.shopify_sim import (
    SHOP,
    TOKEN,
    add_fault,
    job_of,
    new_job,
    run_job,
    sim_config,
    sim_operations,
    sim_requests,
    store_shop,
)

ORDERS = 40
CUT_AT = 50_000


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


def _shopify_orders(server: SimulatorServer) -> dict[str, dict[str, Any]]:
    response = httpx.get(
        f"{server.base_url}/_sim/shops/{SHOP}/orders", params={"limit": 100_000}, timeout=10
    )
    response.raise_for_status()
    return {order["id"]: order for order in response.json()["orders"]}


def _failed_mid_file(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> SyncJob:
    """A FULL job whose download is cut once, with no transient failure allowed: it FAILS with
    the batches before the cut committed."""
    add_fault(server, "download_cut", params={"at_byte": CUT_AT})
    job_id = new_job(conn, store_shop(conn, server))
    run_job(database_url, job_id, max_transient_failures=0)
    failed = job_of(conn, job_id)
    assert failed.status is JobStatus.FAILED, failed.error
    assert 0 < failed.checkpoint_byte <= CUT_AT < (failed.result_file_size or 0)
    return failed


def _export_lines(server: SimulatorServer, operation_id: str) -> list[dict[str, Any]]:
    """The operation's result file, through a fresh URL from Shopify (jobs clear theirs)."""
    response = httpx.post(
        f"{server.base_url}/admin/api/2026-04/graphql.json",
        headers={"X-Shopify-Access-Token": TOKEN},
        json={
            "query": "query($id: ID!) { node(id: $id) { ... on BulkOperation { url } } }",
            "variables": {"id": operation_id},
        },
    )
    response.raise_for_status()
    url = response.json()["data"]["node"]["url"]
    return [json.loads(line) for line in httpx.get(url).raise_for_status().content.splitlines()]


def _downloads(server: SimulatorServer) -> list[int]:
    return [r["status"] for r in sim_requests(server) if r.get("kind") == "download"]


def test_a_new_job_continues_the_failed_file_from_its_checkpoint(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    failed = _failed_mid_file(server, conn, database_url)
    written_before = conn.execute("SELECT count(*) FROM orders").fetchone()
    assert written_before is not None and written_before[0] > 0

    created = create_resuming_job(conn, JobRequest(shop_id=failed.shop_id))
    resumed = created.job
    assert created.created and resumed.status is JobStatus.QUEUED
    assert resumed.trigger is JobTrigger.RETRY and resumed.resumed_from_job_id == failed.id
    assert resumed.bulk_operation_id == failed.bulk_operation_id
    assert (resumed.checkpoint_line, resumed.checkpoint_byte) == (
        failed.checkpoint_line,
        failed.checkpoint_byte,
    )
    consumed = job_of(conn, failed.id)
    assert consumed.checkpoint_byte == 0 and consumed.bulk_operation_id is None
    assert consumed.checkpoint_cleared_reason == f"resumed by job {resumed.id}"
    assert consumed.stats == failed.stats  # its history stays

    run_job(database_url, resumed.id)
    done = job_of(conn, resumed.id)
    assert done.status is JobStatus.COMPLETED, done.error
    (op,) = sim_operations(server)  # no new bulk operation was submitted
    assert op["id"] == done.bulk_operation_id and done.bulk_attempts == 0
    # The cut download, then one ranged download from the checkpoint: nothing read twice.
    assert _downloads(server) == [200, 206]
    assert done.stats.lines_read == done.checkpoint_line == int(op["objectCount"])
    assert done.checkpoint_byte == op["fileSize"]
    stats = assert_identity(conn, resumed.id)
    assert stats["failed_lines"] == 0
    assert stats["orders_created"] == ORDERS and stats["orders_updated"] == 0
    assert_mirror(database_url, _shopify_orders(server))
    # Every row is the resumed job's (the failed job's part handed over).
    owners = conn.execute(
        "SELECT DISTINCT synced_job_id FROM orders UNION SELECT DISTINCT synced_job_id"
        " FROM line_items"
    ).fetchall()
    assert owners == [(resumed.id,)]


def test_a_resumed_populate_keeps_the_newest_version_of_an_order_split_by_the_failure(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    """Order 1 is exported twice: as stored near the start (written by the failed job) and as
    updated during the export at the end (read by the resumed job). POPULATE rewrites only an
    order its own job created: the handed-over rows let the newer version win, exactly."""
    add_fault(server, "updated_during_export", params={"order": 1})
    add_fault(server, "download_cut", params={"at_byte": CUT_AT})
    shop_id = store_shop(conn, server)
    failed_id = create_resuming_job(
        conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.POPULATE)
    ).job.id
    run_job(database_url, failed_id, max_transient_failures=0)
    failed = job_of(conn, failed_id)
    assert failed.status is JobStatus.FAILED and failed.checkpoint_byte > 0
    assert failed.bulk_operation_id is not None
    lines = _export_lines(server, failed.bulk_operation_id)

    resumed = create_resuming_job(
        conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.POPULATE)
    ).job
    assert resumed.resumed_from_job_id == failed_id
    run_job(database_url, resumed.id)
    assert job_of(conn, resumed.id).status is JobStatus.COMPLETED

    roots = [n for n, line in enumerate(lines) if "__parentId" not in line]
    twice = next(
        lines[n]["id"] for n in roots if sum(lines[m]["id"] == lines[n]["id"] for m in roots) == 2
    )
    first, winner = [n for n in roots if lines[n]["id"] == twice]
    assert lines[winner]["updatedAt"] > lines[first]["updatedAt"]
    assert (
        sum(len(json.dumps(line)) + 1 for line in lines[: first + 1]) < CUT_AT
    )  # old: failed job's
    stored = conn.execute(
        "SELECT raw FROM orders WHERE shop_id = %s AND id = %s", (shop_id, twice)
    ).fetchone()
    assert stored is not None and stored[0] == lines[winner]
    expected = sorted(line["id"] for line in lines[winner + 1 :] if line.get("__parentId") == twice)
    items = conn.execute(
        "SELECT id FROM line_items WHERE shop_id = %s AND order_id = %s ORDER BY id",
        (shop_id, twice),
    ).fetchall()
    assert [row[0] for row in items] == expected
    stats = assert_identity(conn, resumed.id)
    assert stats["lines_superseded"] == 1 and stats["lines_read"] == len(lines)
    assert stats["orders_created"] == ORDERS


def test_a_result_that_cannot_be_downloaded_falls_back_to_a_fresh_operation(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    failed = _failed_mid_file(server, conn, database_url)
    resumed = create_resuming_job(conn, JobRequest(shop_id=failed.shop_id)).job
    assert resumed.resumed_from_job_id == failed.id
    # The adopted result answers "expired" to the download and to the one refresh.
    add_fault(server, "url_expired", count=2)

    run_job(database_url, resumed.id)
    done = job_of(conn, resumed.id)
    assert done.status is JobStatus.COMPLETED, done.error
    old, new = sorted(sim_operations(server), key=lambda op: op["id"] != failed.bulk_operation_id)
    assert old["id"] == failed.bulk_operation_id and done.bulk_operation_id == new["id"]
    assert done.bulk_attempts == 1
    # The new file is read from byte 0 and counted alone (the ingest state started over).
    assert done.stats.lines_read == int(new["objectCount"])
    assert_identity(conn, resumed.id)
    assert_mirror(database_url, _shopify_orders(server))


def test_no_resume_when_the_result_is_older_than_shopify_keeps_it(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    failed = _failed_mid_file(server, conn, database_url)
    conn.execute(
        "UPDATE sync_jobs SET bulk_status_since = now() - interval '7 days 1 minute' WHERE id = %s",
        (failed.id,),
    )
    fresh = create_resuming_job(conn, JobRequest(shop_id=failed.shop_id)).job
    assert fresh.resumed_from_job_id is None and fresh.trigger is JobTrigger.MANUAL
    assert fresh.bulk_operation_id is None and fresh.checkpoint_byte == 0
    untouched = job_of(conn, failed.id)
    assert untouched.checkpoint_byte == failed.checkpoint_byte
    assert untouched.checkpoint_cleared_at is None


def test_no_resume_for_another_request_or_when_the_failed_job_is_not_the_last(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    failed = _failed_mid_file(server, conn, database_url)
    other_mode = create_resuming_job(
        conn, JobRequest(shop_id=failed.shop_id, sync_mode=SyncMode.POPULATE)
    ).job
    assert other_mode.resumed_from_job_id is None
    conn.execute("UPDATE sync_jobs SET status = 'CANCELLED' WHERE id = %s", (other_mode.id,))
    # The last job is now the cancelled POPULATE: the FULL one's file is not resumed either.
    again = create_resuming_job(conn, JobRequest(shop_id=failed.shop_id)).job
    assert again.resumed_from_job_id is None and again.trigger is JobTrigger.MANUAL
    assert job_of(conn, failed.id).checkpoint_byte == failed.checkpoint_byte


def test_an_active_job_is_returned_not_resumed(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    failed = _failed_mid_file(server, conn, database_url)
    first = create_resuming_job(conn, JobRequest(shop_id=failed.shop_id))
    second = create_resuming_job(conn, JobRequest(shop_id=failed.shop_id))
    assert first.created and not second.created and second.job.id == first.job.id
    assert second.job.resumed_from_job_id == failed.id
    # Only one job ever adopts the file.
    adopters = conn.execute(
        "SELECT count(*) FROM sync_jobs WHERE resumed_from_job_id = %s", (failed.id,)
    ).fetchone()
    assert adopters == (1,)


def test_a_reconcile_never_resumes_mid_file(conn: psycopg.Connection[Any]) -> None:
    """Its deletions need every id of one whole export: a file's second half alone would make
    the first half's orders look deleted."""
    shop_id = conn.execute(
        "INSERT INTO shops (domain, access_token, api_version, admin_url)"
        " VALUES ('r.myshopify.com', 'x', '2026-10', 'https://r.myshopify.com') RETURNING id"
    ).fetchone()
    assert shop_id is not None
    failed = conn.execute(
        "INSERT INTO sync_jobs (shop_id, sync_mode, status, bulk_operation_id, bulk_status,"
        " bulk_status_since, checkpoint_line, checkpoint_byte)"
        " VALUES (%s, 'RECONCILE', 'FAILED', 'gid://shopify/BulkOperation/9', 'COMPLETED',"
        " now(), 5, 500) RETURNING id",
        (shop_id[0],),
    ).fetchone()
    assert failed is not None
    job = create_resuming_job(
        conn, JobRequest(shop_id=shop_id[0], sync_mode=SyncMode.RECONCILE)
    ).job
    assert job.resumed_from_job_id is None and job.bulk_operation_id is None
    assert job_of(conn, failed[0]).checkpoint_byte == 500
