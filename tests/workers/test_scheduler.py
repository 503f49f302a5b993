"""The scheduler: its loop of periodic tasks, and the sweeper recovering a job whose message
Dramatiq dropped after a database outage longer than its retry window (StubBroker + Worker)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import psycopg
import pytest
from dramatiq.brokers.stub import StubBroker
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.services import ADMIN_URL
from tests.support.shopify_sim import (
    fast_settings,
    job_of,
    make_runner,
    new_job,
    sim_config,
    store_shop,
)
from workers.actors import register_actors
from workers.queue import DramatiqJobQueue
from workers.scheduler.loop import PeriodicTask, run_periodic
from workers.scheduler.sweep import SweepLostJobs

ORDERS = 15


def _wait_until(condition: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_the_loop_runs_every_task_on_its_interval_and_outlives_a_failing_one() -> None:
    runs = {"sweep": 0, "broken": 0}

    def sweep() -> None:
        runs["sweep"] += 1

    def broken() -> None:
        runs["broken"] += 1
        raise ConnectionError("broker away")

    stop = threading.Event()
    tasks = [PeriodicTask("sweep", 0.01, sweep), PeriodicTask("broken", 0.01, broken)]
    thread = threading.Thread(target=run_periodic, args=(tasks, stop))
    thread.start()
    try:
        _wait_until(lambda: runs["sweep"] >= 3 and runs["broken"] >= 3)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    after_stop = dict(runs)
    time.sleep(0.05)
    assert runs == after_stop  # nothing runs once stopped


def test_a_long_interval_task_runs_at_start_then_waits() -> None:
    runs: list[float] = []
    stop = threading.Event()
    tasks = [PeriodicTask("hourly", 3600.0, lambda: runs.append(time.monotonic()))]
    thread = threading.Thread(target=run_periodic, args=(tasks, stop))
    thread.start()
    _wait_until(lambda: len(runs) == 1)
    stop.set()
    thread.join(10)
    assert not thread.is_alive() and len(runs) == 1


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


@pytest.fixture
def stub_broker() -> Iterator[StubBroker]:
    broker = StubBroker()
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.close()


def _allow_connections(database_url: str, allow: bool) -> None:
    """Open or close the test database to new connections; closing also ends the current ones."""
    name = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(str(name)), sql.Literal(allow)
            )
        )
        if not allow:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


def _pool_is_back(pool: ConnectionPool[Any]) -> bool:
    try:
        with pool.connection(timeout=0.5) as conn:
            conn.execute("SELECT 1")
    except (PoolTimeout, psycopg.OperationalError):
        return False
    return True


def test_a_database_outage_longer_than_the_retry_window_is_recovered_by_the_sweeper(
    database_url: str, stub_broker: StubBroker, server: SimulatorServer
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        job_id = new_job(conn, store_shop(conn, server))
    settings = fast_settings(database_url)
    with ConnectionPool(
        database_url, min_size=1, max_size=3, timeout=0.5, kwargs={"autocommit": True}
    ) as pool:
        pool.wait()
        actor = register_actors(stub_broker, make_runner(pool, settings), "outage")
        actor.options.update(max_retries=2, min_backoff=10, max_backoff=20)
        worker = dramatiq.Worker(stub_broker, worker_threads=1, worker_timeout=50)
        worker.start()
        try:
            _allow_connections(database_url, False)
            try:
                DramatiqJobQueue(stub_broker, "outage").enqueue(job_id)
                stub_broker.join("outage", timeout=60_000, fail_fast=False)
                worker.join()
                # Dramatiq gave up: its message is dead-lettered, nothing else will come.
                assert [m.args for m in stub_broker.dead_letters] == [(job_id,)]
            finally:
                _allow_connections(database_url, True)
            with psycopg.connect(database_url, autocommit=True) as conn:
                assert job_of(conn, job_id).status is JobStatus.QUEUED
            _wait_until(lambda: _pool_is_back(pool))  # it reconnects with its own backoff
            sweep = SweepLostJobs(
                pool,
                DramatiqJobQueue(stub_broker, "outage"),
                grace_s=0.0,
                max_deliveries=settings.max_deliveries,
            )
            assert sweep().requeued == [job_id]
            stub_broker.join("outage", timeout=60_000, fail_fast=False)
            worker.join()
        finally:
            worker.stop()
    with psycopg.connect(database_url, autocommit=True) as conn:
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED, job.error
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()
        assert orders is not None and orders[0] == ORDERS
