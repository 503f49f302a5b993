"""The job state machine against the real simulator over HTTP and a real Postgres."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import stamina

from bulk.jobs import JobRequest, SyncJob, create_job
from bulk.orders_query import build_orders_query
from bulk.retry import TRANSIENT_STEP
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.shops import upsert_shop
from bulk.types import JobStatus, SyncMode
from bulk.workflow import Step, cancel_job
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    DEV_POLICY,
    SHOP,
    TOKEN,
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
from tests.support.token_keys import TEST_CIPHER

ORDERS = 40


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


def _counts(conn: psycopg.Connection[Any], shop_id: int) -> tuple[int, int]:
    orders = conn.execute("SELECT count(*) FROM orders WHERE shop_id = %s", (shop_id,)).fetchone()
    items = conn.execute(
        "SELECT count(*) FROM line_items WHERE shop_id = %s", (shop_id,)
    ).fetchone()
    assert orders is not None and items is not None
    return int(orders[0]), int(items[0])


def _sync(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str, **kwargs: Any
) -> tuple[SyncJob, list[Step]]:
    """A new FULL job of the simulator's shop, run to the end: the job then, and its steps."""
    job_id = new_job(conn, store_shop(conn, server))
    steps = run_job(database_url, job_id, **kwargs)
    return job_of(conn, job_id), steps


def test_happy_path_submit_poll_ingest_complete(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job, steps = _sync(server, conn, database_url)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.error is None and job.finished_at is not None and job.started_at is not None
    assert job.bulk_attempts == 1 and job.bulk_status == "COMPLETED"
    (op,) = sim_operations(server)
    assert op["id"] == job.bulk_operation_id and op["groupObjects"] is False
    assert job.checkpoint_byte == job.result_file_size == op["fileSize"]
    assert job.checkpoint_line == job.object_count == int(op["objectCount"])
    orders, items = _counts(conn, job.shop_id)
    assert orders == ORDERS == job.root_object_count
    assert items == int(op["objectCount"]) - ORDERS
    assert len(steps) >= 2


def test_failed_internal_error_is_resubmitted(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "fail_operation", params={"error_code": "INTERNAL_SERVER_ERROR"})
    job, _ = _sync(server, conn, database_url)
    assert job.status is JobStatus.COMPLETED and job.bulk_attempts == 2
    ops = sim_operations(server)
    assert sorted(op["status"] for op in ops) == ["COMPLETED", "FAILED"]
    assert _counts(conn, job.shop_id)[0] == ORDERS


def test_unsolicited_cancel_is_resubmitted(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "cancel_operation")
    job, _ = _sync(server, conn, database_url)
    assert job.status is JobStatus.COMPLETED and job.bulk_attempts == 2
    assert _counts(conn, job.shop_id)[0] == ORDERS


def test_access_denied_fails_the_job_readably(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "fail_operation", params={"error_code": "ACCESS_DENIED"})
    job, _ = _sync(server, conn, database_url)
    assert job.status is JobStatus.FAILED and job.finished_at is not None
    assert job.error is not None and "ACCESS_DENIED" in job.error and "scope" in job.error
    assert job.bulk_attempts == 1 and len(sim_operations(server)) == 1


def test_bulk_attempts_are_bounded(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "fail_operation", count=None, params={"error_code": "TIMEOUT"})
    job, _ = _sync(server, conn, database_url, settings={"max_bulk_attempts": 3})
    assert job.status is JobStatus.FAILED and job.bulk_attempts == 3
    assert job.error is not None and "3 attempts" in job.error and "TIMEOUT" in job.error
    assert len(sim_operations(server)) == 3


def test_bad_token_fails_the_job_without_leaking_it(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop, _ = upsert_shop(
        conn,
        domain=SHOP,
        access_token="shpat_revoked_token",
        api_version="2026-04",
        admin_url=server.base_url,
        cipher=TEST_CIPHER,
    )
    job_id = new_job(conn, shop.id)
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert "401" in job.error and "shpat_revoked" not in job.error


def test_transient_failures_are_bounded(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "http_status", count=None, params={"status": 503})
    job, steps = _sync(server, conn, database_url, max_transient_failures=2)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert "transient" in job.error and "503" in job.error
    assert [s.done for s in steps] == [False, False, True]
    assert steps[1].delay_s > steps[0].delay_s > 0
    assert sim_operations(server) == []  # a 503 on submit: nothing created, nothing duplicated


def test_transient_delays_are_jittered_within_the_policy(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "http_status", count=None, params={"status": 503})
    delays = []
    with stamina.set_testing(True, attempts=10, cap=True):  # the client's own retries: no waits
        for _ in range(3):
            job, steps = _sync(server, conn, database_url, max_transient_failures=1)
            assert job.status is JobStatus.FAILED
            delays.append(steps[0].delay_s)
    assert len(set(delays)) == 3  # jobs failing together are re-enqueued apart
    first = TRANSIENT_STEP.floor_s(1)
    assert all(first <= d <= first + TRANSIENT_STEP.jitter_s for d in delays), delays


def test_lost_submit_answer_is_reconciled_not_duplicated(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    # The simulator creates the operation but answers too late: the client times out.
    add_fault(server, "slow", params={"delay": 1.0})
    job, steps = _sync(server, conn, database_url, settings={"http_timeout_s": 0.4})
    assert job.status is JobStatus.COMPLETED, job.error
    (op,) = sim_operations(server)
    assert op["id"] == job.bulk_operation_id and job.bulk_attempts == 1
    assert steps[0].done is False and steps[0].delay_s > 0


def test_download_cut_resumes_from_the_checkpoint_with_range(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "download_cut", params={"at_byte": 50_000})
    job, _ = _sync(server, conn, database_url)
    assert job.status is JobStatus.COMPLETED, job.error
    downloads = [r for r in sim_requests(server) if r.get("kind") == "download"]
    assert [d["status"] for d in downloads] == [200, 206], downloads
    (op,) = sim_operations(server)
    orders, items = _counts(conn, job.shop_id)
    assert orders == ORDERS and items == int(op["objectCount"]) - ORDERS
    assert job.stats.lines_read == int(op["objectCount"])  # nothing read twice
    assert job.checkpoint_byte == op["fileSize"]


def test_ingest_in_slices_can_be_continued_by_another_worker(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    settings = {"ingest_slice_s": 0.0, "batch_bytes": 8 * 1024}
    with open_pool(database_url) as pool:
        first = make_runner(pool, fast_settings(database_url, **settings))
        for _ in range(50):  # submit, poll, then one ingest slice (one batch)
            first.advance(job_id)
            if job_of(conn, job_id).checkpoint_byte > 0:
                break
    partial = job_of(conn, job_id)
    assert 0 < partial.checkpoint_byte < (partial.result_file_size or 0)
    run_job(database_url, job_id, settings=settings)  # "another worker" finishes it
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED
    (op,) = sim_operations(server)
    assert job.stats.lines_read == int(op["objectCount"])
    downloads = [r for r in sim_requests(server) if r.get("kind") == "download"]
    assert any(d["status"] == 206 for d in downloads)
    assert _counts(conn, shop_id)[0] == ORDERS


def test_expired_url_is_refreshed_once(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "url_expired")
    job, _ = _sync(server, conn, database_url)
    assert job.status is JobStatus.COMPLETED and job.bulk_attempts == 1


def test_url_expired_for_good_resubmits(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    add_fault(server, "url_expired", count=2)
    job, _ = _sync(server, conn, database_url)
    assert job.status is JobStatus.COMPLETED and job.bulk_attempts == 2
    assert _counts(conn, job.shop_id)[0] == ORDERS


def test_zero_results_complete_without_a_file(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    job_id = create_job(
        conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.UPDATE, stale_after_mins=1)
    ).job.id
    conn.execute(
        "UPDATE sync_jobs SET filter_since = now() + interval '1 day' WHERE id = %s", (job_id,)
    )
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED and job.result_url is None
    assert _counts(conn, shop_id) == (0, 0)


def test_duplicate_messages_and_held_leases_are_harmless(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    conn.execute(
        "UPDATE sync_jobs SET lease_token = gen_random_uuid(), "
        "lease_expires_at = now() + interval '30 seconds' WHERE id = %s",
        (job_id,),
    )
    with open_pool(database_url) as pool:
        runner = make_runner(pool, fast_settings(database_url))
        held = runner.advance(job_id)
        assert not held.done and 25 < held.delay_s <= 30
        assert job_of(conn, job_id).status is JobStatus.QUEUED  # nothing happened
        conn.execute("UPDATE sync_jobs SET lease_expires_at = now() - interval '1 second'")
        run_until_done(runner, job_id)  # an expired lease is taken over
        assert runner.advance(job_id) == Step(done=True)
        assert runner.advance(job_id) == Step(done=True)
        assert runner.advance(999_999) == Step(done=True)  # unknown job
    assert len(sim_operations(server)) == 1
    assert _counts(conn, shop_id)[0] == ORDERS


def test_state_changes_and_batches_are_notified(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute("LISTEN sync_job_events")
        run_job(database_url, job_id)
        events = [json.loads(n.payload) for n in listener.notifies(timeout=0.5, stop_after=500)]
    mine = [e for e in events if e["job_id"] == job_id]
    assert all(set(e) == {"job_id", "shop_id", "status"} and e["shop_id"] == shop_id for e in mine)
    statuses = [e["status"] for e in mine]
    assert statuses[0] == "RUNNING" and statuses[-1] == "COMPLETED"
    batches = job_of(conn, job_id).checkpoint_byte // (16 * 1024)
    assert len(mine) >= batches  # one per committed batch at least


def test_cancel_job_cancels_the_shopify_operation(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS, run_seconds=30.0)) as slow:
        shop_id = store_shop(conn, slow)
        job_id = new_job(conn, shop_id)
        with open_pool(database_url) as pool:
            runner = make_runner(pool, fast_settings(database_url))
            assert not runner.advance(job_id).done  # submitted
            # Clients default to production's policy: the loopback simulator needs development's.
            dev_clients = functools.partial(ShopifyClient, policy=DEV_POLICY)
            assert cancel_job(conn, job_id, TEST_CIPHER, client_factory=dev_clients)
            assert not cancel_job(conn, job_id, TEST_CIPHER)  # already finished: nothing to do
            assert runner.advance(job_id) == Step(done=True)
        assert job_of(conn, job_id).status is JobStatus.CANCELLED
        (op,) = sim_operations(slow)
        assert op["status"] in ("CANCELING", "CANCELED")


def test_someone_elses_running_operation_delays_the_submit(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS, run_seconds=30.0)) as slow:
        shop_id = store_shop(conn, slow, api_version="2025-10")  # one operation at a time
        endpoint = ShopifyEndpoint(slow.base_url, "2025-10", TOKEN)
        with ShopifyClient(endpoint, policy=DEV_POLICY) as client:
            other = client.run_bulk_query(
                build_orders_query(SyncMode.POPULATE, datetime.now(UTC)), group_objects=False
            )
            job_id = new_job(conn, shop_id)
            with open_pool(database_url) as pool:
                step = make_runner(pool, fast_settings(database_url)).advance(job_id)
            assert step == Step(done=False, delay_s=30.0)
            job = job_of(conn, job_id)
            assert job.status is JobStatus.RUNNING and job.bulk_operation_id is None
            assert job.bulk_attempts == 0
            client.cancel_bulk_operation(other.id)
