"""Through a real Dramatiq worker (StubBroker): a step cut by the actor's time limit is counted
and recorded, and the job FAILS readably instead of staying RUNNING once Dramatiq gives up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import psycopg
import pytest
from dramatiq.brokers.stub import StubBroker

from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    sim_config,
    store_shop,
)
from workers.actors import register_actors
from workers.queue import DramatiqJobQueue


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(10)) as srv:
        yield srv


@pytest.fixture
def stub_broker() -> Iterator[StubBroker]:
    broker = StubBroker()
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.close()


def _endless_step(endpoint: ShopifyEndpoint) -> ShopifyClient:
    """A step that never ends by itself (Python code, so the time limit can interrupt it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.01)
    raise AssertionError("the time limit never interrupted the step")


def test_a_step_over_the_time_limit_is_counted_and_then_fails_the_job(
    conn: psycopg.Connection[Any],
    database_url: str,
    stub_broker: StubBroker,
    server: SimulatorServer,
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    settings = fast_settings(database_url, max_deliveries=2)
    with open_pool(database_url) as pool:
        runner = make_runner(pool, settings, client_factory=_endless_step)
        actor = register_actors(stub_broker, runner, "tl", time_limit_s=0.2)
        # Dramatiq's own retries, shortened: it gives up after three deliveries in all.
        actor.options.update(max_retries=2, min_backoff=10, max_backoff=20)
        worker = dramatiq.Worker(stub_broker, worker_threads=1, worker_timeout=50)
        worker.start()
        try:
            DramatiqJobQueue(stub_broker, "tl").enqueue(job_id)
            stub_broker.join("tl", timeout=60_000, fail_fast=False)
            worker.join()
        finally:
            worker.stop()
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED, (job.status, job.error)
    assert job.error is not None
    assert "2 deliveries" in job.error and "TimeLimitExceeded" in job.error, job.error
