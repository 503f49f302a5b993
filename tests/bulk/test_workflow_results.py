"""The stream's end is the truth: results longer than fileSize, COMPLETED without a url, and
every odd answer of the result host ends as a bounded retry, a resubmit or FAILED."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    add_fault,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    run_job,
    run_until_done,
    sim_config,
    sim_operations,
    sim_requests,
    store_shop,
)

ORDERS = 40


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


def _orders(conn: psycopg.Connection[Any], shop_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM orders WHERE shop_id = %s", (shop_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_a_resumed_download_reads_past_a_short_file_size_to_the_stream_end(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    settings = fast_settings(database_url, ingest_slice_s=0.0, batch_bytes=8 * 1024)

    def shrink_file_size(number: int, step: Any) -> None:
        # fileSize is a hint: once some batches are in, say the file ends right there.
        conn.execute(
            "UPDATE sync_jobs SET result_file_size = checkpoint_byte"
            " WHERE id = %s AND checkpoint_byte > 0 AND result_file_size > checkpoint_byte",
            (job_id,),
        )

    with open_pool(database_url) as pool:
        run_until_done(make_runner(pool, settings), job_id, between=shrink_file_size)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    (op,) = sim_operations(server)
    assert _orders(conn, shop_id) == ORDERS
    assert job.checkpoint_byte == op["fileSize"] > (job.result_file_size or 0)
    assert job.stats.lines_read == int(op["objectCount"])


def test_completed_without_url_but_with_objects_is_resubmitted(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "completed_without_url")
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.bulk_attempts == 2 and len(sim_operations(server)) == 2
    assert _orders(conn, shop_id) == ORDERS


def test_completed_without_url_every_time_fails_the_job(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "completed_without_url", count=None)
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id, settings={"max_bulk_attempts": 2})
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert "2 attempts" in job.error and "no result URL" in job.error, job.error
    assert _orders(conn, shop_id) == 0


def test_408_from_the_result_host_is_retried(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "download_status", count=2, params={"status": 408})
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.bulk_attempts == 1 and _orders(conn, shop_id) == ORDERS


def test_408_for_ever_fails_the_job_after_bounded_retries(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "download_status", count=None, params={"status": 408})
    job_id = new_job(conn, store_shop(conn, server))
    run_job(database_url, job_id, max_transient_failures=2)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert "transient" in job.error and "408" in job.error, job.error


@pytest.mark.parametrize("status", [204, 302])
def test_an_odd_answer_once_is_cured_by_a_fresh_url(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, status: int
) -> None:
    add_fault(server, "download_status", params={"status": status})
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert _orders(conn, shop_id) == ORDERS
    downloads = [r["status"] for r in sim_requests(server) if r.get("kind") == "download"]
    assert downloads[0] == status and downloads[-1] == 200


@pytest.mark.parametrize("status", [204, 302, 418])
def test_an_odd_answer_for_ever_fails_the_job_readably_without_the_url(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, status: int
) -> None:
    add_fault(server, "download_status", count=None, params={"status": status})
    job_id = new_job(conn, store_shop(conn, server))
    run_job(database_url, job_id, settings={"max_bulk_attempts": 2})
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert f"HTTP {status}" in job.error and "2 attempts" in job.error, job.error
    assert "Signature" not in job.error and "://" not in job.error
    assert len(sim_operations(server)) == 2


def test_a_stream_that_ends_short_of_file_size_is_resumed_then_fails(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    # A clean early end is the only truncation signal there is: the job must not COMPLETE with
    # the file's tail missing, and must not retry for ever either.
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    settings = fast_settings(database_url, ingest_slice_s=0.0, batch_bytes=8 * 1024)
    grown: list[int] = []

    def overstate_file_size(number: int, step: Any) -> None:
        if not grown:
            cur = conn.execute(
                "UPDATE sync_jobs SET result_file_size = result_file_size + 1000"
                " WHERE id = %s AND result_file_size IS NOT NULL RETURNING id",
                (job_id,),
            )
            grown.extend(row[0] for row in cur.fetchall())

    with open_pool(database_url) as pool:
        runner = make_runner(pool, settings, max_transient_failures=2)
        run_until_done(runner, job_id, between=overstate_file_size)
    job = job_of(conn, job_id)
    assert grown and job.status is JobStatus.FAILED and job.error is not None
    assert "transient" in job.error and "bytes" in job.error, job.error
    (op,) = sim_operations(server)
    assert job.checkpoint_byte < op["fileSize"]  # what was read stays; nothing claims the end
