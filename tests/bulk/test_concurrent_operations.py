"""Concurrent bulk operations per job (issue #12 item 2): a POPULATE or FULL job split into
created_at ranges, one child job and operation each, against the simulator and real Postgres."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from bulk import ranges
from bulk.deadletters import list_dead_letters
from bulk.jobs import JobRequest, SyncJob, create_job, list_jobs
from bulk.shopify import ShopifyClient
from bulk.types import JobStatus, SyncMode
from bulk.workflow import JobRunner, cancel_job
from service.deadletters import DeadLetterService
from service.principal import SYSTEM
from simulator.server import SimulatorServer
from tests.support.job_family import JobFamily, run_family
from tests.support.order_compare import mismatches, sim_orders
from tests.support.shopify_sim import (
    DEV_POLICY,
    add_fault,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    sim_config,
    sim_operations,
    store_shop,
)
from tests.support.token_keys import TEST_CIPHER
from tests.support.waiting import wait_for

ORDERS = 300
STAT_NAMES = (
    "lines_read",
    "bytes_read",
    "orders_created",
    "orders_updated",
    "orders_unchanged",
    "orders_skipped",
    "line_items_written",
    "line_items_deleted",
    "failed_lines",
)


@contextmanager
def _runner(database_url: str, **settings: Any) -> Iterator[JobRunner]:
    # A connection per concurrent step: the parent and five children. Every order counts as
    # enough for an operation: these shops are small, and these tests are about splitting.
    split = {"bulk_operations_per_job": 5, "bulk_min_orders_per_operation": 1}
    with ConnectionPool(
        database_url, min_size=1, max_size=8, open=True, kwargs={"autocommit": True}
    ) as pool:
        yield make_runner(pool, fast_settings(database_url, **(split | settings)))


def _children(conn: psycopg.Connection[Any], job_id: int) -> list[SyncJob]:
    return ranges.children(conn, job_id)


def _assert_sum(parent: SyncJob, children: list[SyncJob]) -> None:
    for name in STAT_NAMES:
        total = sum(getattr(child.stats, name) for child in children)
        assert getattr(parent.stats, name) == total, name
    assert parent.result_file_size == sum(child.result_file_size or 0 for child in children)


def _populate(conn: psycopg.Connection[Any], server: SimulatorServer, **shop: Any) -> int:
    shop_id = store_shop(conn, server, **shop)
    return create_job(conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.POPULATE)).job.id


def test_populate_with_five_ranges_is_exact_and_counted_once(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS)) as server:
        job_id = _populate(conn, server)
        with _runner(database_url) as runner:
            run_family(runner, job_id)
        parent = job_of(conn, job_id)
        assert parent.status is JobStatus.COMPLETED, parent.error
        assert parent.range_count == 5 and parent.bulk_operation_id is None
        assert parent.bulk_status == "COMPLETED"  # the least advanced range's
        children = _children(conn, job_id)
        assert [c.range_index for c in children] == [1, 2, 3, 4, 5]
        assert all(c.status is JobStatus.COMPLETED and c.bulk_attempts == 1 for c in children)
        # Contiguous, disjoint ranges: open below and above, each bound shared by two ranges.
        assert children[0].range_created_from is None and children[-1].range_created_before is None
        for before, after in itertools.pairwise(children):
            assert before.range_created_before == after.range_created_from
        operations = sim_operations(server)
        assert len(operations) == 5
        assert {op["id"] for op in operations} == {c.bulk_operation_id for c in children}
        # Every order exactly once, field for field, and the parent's stats are the sum.
        shopify = sim_orders(server.base_url, ORDERS)
        assert mismatches(database_url, shopify) == []
        assert parent.stats.orders_created == ORDERS
        assert all(c.stats.orders_created > 0 for c in children)
        _assert_sum(parent, children)
        # One job as far as readers go: the list shows the parent only.
        assert [job.id for job in list_jobs(conn, shop_id=parent.shop_id)] == [job_id]


def test_the_simulator_runs_the_five_operations_at_once(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    # Each operation runs at least 2 s (ranges hold unequal shares of the orders: a rate alone
    # may finish a small one before the last has started).
    with SimulatorServer(sim_config(ORDERS, run_seconds=2.0)) as server:
        job_id = _populate(conn, server)
        peak = {"running": 0}
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                running = [op for op in sim_operations(server) if op["status"] == "RUNNING"]
                peak["running"] = max(peak["running"], len(running))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            with _runner(database_url) as runner:
                run_family(runner, job_id)
        finally:
            stop.set()
            watcher.join()
        assert job_of(conn, job_id).status is JobStatus.COMPLETED
        assert peak["running"] == 5


def test_a_range_failing_once_is_retried_alone(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS)) as server:
        add_fault(
            server,
            "fail_operation",
            count=1,
            params={"error_code": "INTERNAL_SERVER_ERROR", "partial": False},
        )
        job_id = new_job(conn, store_shop(conn, server), SyncMode.FULL)
        with _runner(database_url) as runner:
            run_family(runner, job_id)
        parent = job_of(conn, job_id)
        assert parent.status is JobStatus.COMPLETED, parent.error
        children = _children(conn, job_id)
        # One range resubmitted once; the four others' operations never again.
        assert sorted(c.bulk_attempts for c in children) == [1, 1, 1, 1, 2]
        operations = sim_operations(server)
        assert len(operations) == 6
        assert sorted(op["status"] for op in operations).count("FAILED") == 1
        assert mismatches(database_url, sim_orders(server.base_url, ORDERS)) == []
        assert parent.stats.orders_created == ORDERS
        _assert_sum(parent, children)


def test_a_range_that_fails_fails_the_job_naming_it_and_cancels_the_others(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    # The first range's operation fails (an error code no resubmission cures) after its 3 s
    # run; the four others' stay CREATED until they are cancelled.
    with SimulatorServer(sim_config(ORDERS, run_seconds=3.0)) as server:
        job_id = _populate(conn, server)
        with _runner(database_url) as runner:
            first, *others = runner.advance(job_id).wake
            add_fault(server, "fail_operation", count=1, params={"error_code": "ACCESS_DENIED"})
            assert not runner.advance(first).done  # submits; its operation takes the fault
            running = ["RUNNING"]
            wait_for(lambda: [op["status"] for op in sim_operations(server)] == running, "run")
            add_fault(server, "stuck_created", count=len(others))
            family = JobFamily(runner)
            for child in (*others, first, job_id):
                family.start(child)
            family.wait(60)
        parent = job_of(conn, job_id)
        assert parent.status is JobStatus.FAILED
        assert parent.error is not None and parent.error.startswith("range 1 of 5 (created_at <")
        assert f"; job {first}) failed: Shopify failed the bulk operation with ACCESS_DENIED" in (
            parent.error
        )
        assert parent.error.endswith("; the other ranges were cancelled")
        children = _children(conn, job_id)
        assert [c.status for c in children] == [JobStatus.FAILED] + [JobStatus.CANCELLED] * 4
        by_id = {op["id"]: op["status"] for op in sim_operations(server)}
        assert by_id.pop(children[0].bulk_operation_id) == "FAILED"
        # Every other range had submitted; each operation was cancelled with its job.
        assert len(by_id) == 4 and set(by_id.values()) <= {"CANCELING", "CANCELED"}


def test_cancelling_the_job_cancels_every_range(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS, run_seconds=30.0)) as server:
        job_id = _populate(conn, server)
        with _runner(database_url) as runner:
            first = runner.advance(job_id)  # the plan: five children to enqueue
            assert not first.done and len(first.wake) == 5
            for child in first.wake:
                assert not runner.advance(child).done  # each submits its operation
            assert len(sim_operations(server)) == 5
            dev_clients = functools.partial(ShopifyClient, policy=DEV_POLICY)
            assert cancel_job(conn, job_id, TEST_CIPHER, client_factory=dev_clients)
            for child in first.wake:
                assert runner.advance(child).done  # fenced: nothing more for it
            assert runner.advance(job_id).done
        assert job_of(conn, job_id).status is JobStatus.CANCELLED
        children = _children(conn, job_id)
        assert [c.status for c in children] == [JobStatus.CANCELLED] * 5
        assert {op["status"] for op in sim_operations(server)} <= {"CANCELING", "CANCELED"}


def test_children_are_not_the_shops_active_job(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(ORDERS, run_seconds=30.0)) as server:
        job_id = _populate(conn, server)
        with _runner(database_url) as runner:
            assert len(runner.advance(job_id).wake) == 5
            again = create_job(conn, JobRequest(shop_id=job_of(conn, job_id).shop_id))
            assert not again.created and again.job.id == job_id  # the parent counts, once
            assert cancel_job(conn, job_id, TEST_CIPHER)
            # Their dead letters are read and retried through the parent.
            second, fourth = (c.id for c in _children(conn, job_id)[1:4:2])
            for child in (second, fourth):
                conn.execute(
                    "INSERT INTO dead_letters (job_id, shop_id, line_number, byte_offset, reason,"
                    " line) SELECT id, shop_id, 7, 700, 'bad', 'not json' FROM sync_jobs"
                    " WHERE id = %s",
                    (child,),
                )
            listed = list_dead_letters(conn, job_id)
            assert [(d.line_number, d.reason) for d in listed] == [(7, "bad"), (7, "bad")]
        with open_pool(database_url) as pool:
            retried = DeadLetterService(pool).retry(SYSTEM, job_id)
            assert (retried.result.retried, retried.result.still_failing) == (2, 2)


@pytest.mark.parametrize(
    ("api_version", "configured", "mode"),
    [
        ("2025-10", 5, SyncMode.POPULATE),  # one operation at a time before 2026-01
        ("2026-04", 1, SyncMode.FULL),  # configured lower
        ("2026-04", 5, SyncMode.UPDATE),  # never split
    ],
)
def test_one_operation_where_five_are_not_allowed_or_wanted(
    conn: psycopg.Connection[Any],
    database_url: str,
    api_version: str,
    configured: int,
    mode: SyncMode,
) -> None:
    with SimulatorServer(sim_config(40)) as server:
        shop_id = store_shop(conn, server, api_version=api_version)
        request = JobRequest(
            shop_id=shop_id,
            sync_mode=mode,
            stale_after_mins=60 if mode is SyncMode.UPDATE else None,
        )
        job_id = create_job(conn, request).job.id
        with _runner(database_url, bulk_operations_per_job=configured) as runner:
            family = run_family(runner, job_id)
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED, job.error
        assert _children(conn, job_id) == [] and set(family.steps) == {job_id}
        (op,) = sim_operations(server)
        assert op["id"] == job.bulk_operation_id
