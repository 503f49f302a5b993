"""The job state machine against the real simulator over HTTP and a real Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bulk.jobs import get_job
from bulk.types import JobStatus
from bulk.workflow import JobRunner
from simulator.server import SimulatorServer

from .shopify_sim import (
    fast_settings,
    new_job,
    open_pool,
    run_until_done,
    sim_config,
    sim_operations,
    store_shop,
)

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


def test_happy_path_submit_poll_ingest_complete(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    with open_pool(database_url) as pool:
        runner = JobRunner(pool, fast_settings(database_url))
        steps = run_until_done(runner, job_id)
    job = get_job(conn, job_id)
    assert job is not None
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.error is None and job.finished_at is not None and job.started_at is not None
    assert job.bulk_attempts == 1 and job.bulk_status == "COMPLETED"
    (op,) = sim_operations(server)
    assert op["id"] == job.bulk_operation_id and op["groupObjects"] is False
    assert job.checkpoint_byte == job.result_file_size == op["fileSize"]
    assert job.checkpoint_line == job.object_count == int(op["objectCount"])
    orders, items = _counts(conn, shop_id)
    assert orders == ORDERS == job.root_object_count
    assert items == int(op["objectCount"]) - ORDERS
    assert len(steps) >= 2
