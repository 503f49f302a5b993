"""The run_sync_job actor: as a plain function, through StubBroker + Worker, and real brokers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import psycopg
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker

from bulk.types import JobStatus
from bulk.workflow import JobRunner
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    fast_settings,
    fast_worker_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    sim_config,
    store_shop,
)
from workers.actors import register_actors
from workers.broker import build_broker
from workers.main import run_worker
from workers.queue import DramatiqJobQueue


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(25)) as srv:
        yield srv


@pytest.fixture
def stub_broker() -> Iterator[StubBroker]:
    broker = StubBroker()
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.close()


@pytest.fixture
def job_id(server: SimulatorServer, conn: psycopg.Connection[Any]) -> int:
    """A new FULL job of the simulator's shop."""
    return new_job(conn, store_shop(conn, server))


@pytest.fixture
def runner(database_url: str) -> Iterator[JobRunner]:
    with open_pool(database_url) as pool:
        yield make_runner(pool, fast_settings(database_url))


def _orders(conn: psycopg.Connection[Any], shop_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM orders WHERE shop_id = %s", (shop_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_actor_as_plain_function_reenqueues_until_done(
    conn: psycopg.Connection[Any],
    database_url: str,
    stub_broker: StubBroker,
    runner: JobRunner,
    job_id: int,
) -> None:
    actor = register_actors(stub_broker, runner, "q1")
    actor.fn(job_id)  # first step: submits, so the job is not done → one message re-enqueued
    queued = stub_broker.queues["q1"].qsize() + stub_broker.queues["q1.DQ"].qsize()
    assert queued == 1
    assert job_of(conn, job_id).bulk_operation_id is not None
    assert actor.options["max_retries"] >= 1
    assert actor.options["time_limit"] > fast_settings(database_url).ingest_slice_s * 1000


def test_actor_on_a_finished_job_sends_nothing(
    conn: psycopg.Connection[Any], stub_broker: StubBroker, runner: JobRunner, job_id: int
) -> None:
    conn.execute("UPDATE sync_jobs SET status = 'CANCELLED' WHERE id = %s", (job_id,))
    register_actors(stub_broker, runner, "q2").fn(job_id)
    assert stub_broker.queues["q2"].qsize() == 0 and stub_broker.queues["q2.DQ"].qsize() == 0


def test_worker_runs_a_job_to_completion_through_stub_broker(
    conn: psycopg.Connection[Any], stub_broker: StubBroker, runner: JobRunner, job_id: int
) -> None:
    register_actors(stub_broker, runner, "q3")
    worker = dramatiq.Worker(stub_broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        DramatiqJobQueue(stub_broker, "q3").enqueue(job_id)
        stub_broker.join("q3", timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert _orders(conn, job.shop_id) == 25


def _delete_queues(broker: dramatiq.Broker, queue_name: str) -> None:
    """Leave nothing behind in the real broker: purge Redis keys, delete RabbitMQ queues."""
    if isinstance(broker, RabbitmqBroker):
        for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
            broker.channel.queue_delete(name)
    else:
        broker.flush(queue_name)


@pytest.mark.slow
@pytest.mark.parametrize("broker_fixture", ["redis_url", "rabbitmq_url"])
def test_run_worker_over_a_real_broker_completes_an_enqueued_job(
    conn: psycopg.Connection[Any],
    database_url: str,
    job_id: int,
    broker_fixture: str,
    request: pytest.FixtureRequest,
) -> None:
    broker_url: str = request.getfixturevalue(broker_fixture)
    queue_name = f"shopsync_test_{uuid.uuid4().hex[:10]}"
    settings = fast_worker_settings(database_url, broker_url=broker_url, queue_name=queue_name)
    stop = threading.Event()
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            run_worker(settings, threads=2, stop=stop)
        except BaseException as exc:  # surfaced in the test thread
            failure.append(exc)

    api_broker = build_broker(broker_url)  # what the API process does: enqueue by name only
    thread = threading.Thread(target=worker, name="test-run-worker")
    thread.start()
    try:
        DramatiqJobQueue(api_broker, queue_name).enqueue(job_id)
        deadline = 60.0
        waited = 0.0
        while waited < deadline:
            if not job_of(conn, job_id).status.is_active:
                break
            stop.wait(0.1)
            waited += 0.1
    finally:
        stop.set()
        thread.join(30)
        _delete_queues(api_broker, queue_name)
        api_broker.close()
    assert not thread.is_alive() and not failure
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert _orders(conn, job.shop_id) == 25
