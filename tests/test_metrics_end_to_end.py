"""/metrics after real work: the simulator, the API, a worker and a scheduler as processes; a
POPULATE, a throttled UPDATE, and a job whose message was never sent, recovered by the sweeper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bulk import jobs
from bulk.jobs import JobRequest
from cli.ports import free_port
from cli.processes import ManagedProcess
from tests.support.stack import Stack
from tests.support.text_metrics import value

DOMAIN = "metrics.myshopify.com"
TOKEN = "shpat_metrics_secret_token_1"
ORDERS = 200


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    env = {
        "POLL_INITIAL_DELAY_S": "0.2",
        "POLL_MAX_DELAY_S": "0.5",
        "BATCH_BYTES": "65536",
        "METRICS_PORT": str(free_port()),  # the worker's
    }
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="metrics",
        seed=3,
        env=env,
        simulator_args=["--run-seconds", "0"],
    ):
        yield stack


def _scrape(url: str) -> str:
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    return response.text


@pytest.mark.slow
def test_metrics_count_the_real_work(stack: Stack, database_url: str) -> None:
    worker_metrics = f"http://127.0.0.1:{stack.env['METRICS_PORT']}/metrics"
    connected = stack.connect()
    populate = stack.wait(connected["initialJob"]["id"])
    assert populate["status"] == "COMPLETED"

    # One THROTTLED answer to the UPDATE's first Shopify call.
    stack.sim_post("/_sim/faults", {"kind": "throttled", "shop": DOMAIN, "count": 1})
    update = stack.start(shopId=connected["shop"]["id"], syncMode="UPDATE", staleAfterMins=60)
    assert update["status"] == "COMPLETED"

    worker = _scrape(worker_metrics)
    lines = populate["stats"]["linesRead"] + update["stats"]["linesRead"]
    assert value(worker, "shopsync_lines_ingested_total") == lines
    bytes_read = populate["stats"]["bytesRead"] + update["stats"]["bytesRead"]
    assert value(worker, "shopsync_bytes_ingested_total") == bytes_read
    assert (value(worker, "shopsync_ingest_slice_seconds_count") or 0) >= 1
    assert (value(worker, "shopsync_shopify_calls_total", outcome="ok") or 0) > 0
    assert value(worker, "shopsync_shopify_calls_total", outcome="throttled") == 1
    assert (value(worker, "shopsync_shopify_throttle_wait_seconds_total") or 0) > 0
    assert (value(worker, "shopsync_queue_lag_seconds_count") or 0) > 0
    assert (value(worker, "shopsync_messages_processed_total", outcome="ok") or 0) > 0
    assert value(worker, "shopsync_dead_letters_written_total") == 0

    # A QUEUED job nobody sent a message for: only the scheduler's sweeper brings it back.
    with psycopg.connect(database_url, autocommit=True) as conn:
        lost = jobs.create_job(conn, JobRequest(shop_id=int(connected["shop"]["id"]))).job.id
    scheduler_port = free_port()
    scheduler_env = {
        **stack.env,
        "METRICS_PORT": str(scheduler_port),
        "SWEEP_INTERVAL_S": "0.5",
        "SWEEP_GRACE_S": "1",
    }
    stack.group.start(
        ManagedProcess("scheduler", ["scheduler"], env=scheduler_env, log_dir=stack.logs)
    )
    recovered = stack.wait(str(lost))
    assert recovered["status"] == "COMPLETED"
    scheduler = _scrape(f"http://127.0.0.1:{scheduler_port}/metrics")
    assert value(scheduler, "shopsync_sweeper_recoveries_total", action="requeued") == 1
    assert value(scheduler, "shopsync_sweeper_recoveries_total", action="failed") == 0

    api = _scrape(f"{stack.api_url}/metrics")
    completed = {"status": "COMPLETED"}
    assert value(api, "shopsync_jobs", **completed, mode="POPULATE", trigger="INITIAL") == 1
    assert value(api, "shopsync_jobs", **completed, mode="UPDATE", trigger="MANUAL") == 1
    assert value(api, "shopsync_jobs", **completed, mode="FULL", trigger="MANUAL") == 1
    assert (
        value(api, "shopsync_api_requests_total", route="/graphql", method="POST", status="200")
        or 0
    ) > 0
