"""A worker SIGKILLed mid-job: a new worker process finishes the job exactly once.

Real processes (simulator, API, worker) and a real broker (RabbitMQ and Redis). The worker is
killed with SIGKILL, as a crash or the OOM killer would: no clean-up, no ack, a lease left on
the job and possibly a batch transaction open in Postgres. A new worker process must finish
the job from the last committed checkpoint: the rows mirror Shopify exactly and the stats are
exactly a clean run's (a batch ingested twice would count its lines twice), with one bulk
operation submitted.

How the killed worker's message comes back: RabbitMQ requeues a consumer's unacked messages
as soon as its connection drops. Redis requeues them only once the dead worker's heartbeat is
older than ``BROKER_HEARTBEAT_TIMEOUT_S``, at a maintenance run that happens on a random
``BROKER_MAINTENANCE_CHANCE`` per million broker commands (Dramatiq's defaults: 60 s and 1,000,
i.e. ~17 minutes on average with one idle worker): the Redis case shortens both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from psycopg.rows import dict_row

from tests.stack import Stack
from tests.test_end_to_end import _assert_mirror
from workers.broker import build_broker
from workers.queue import DramatiqJobQueue

pytestmark = pytest.mark.slow

DOMAIN = "kill.myshopify.com"
TOKEN = "shpat_kill_secret_token_123"
BROKERS = ["rabbitmq_url", "redis_url"]

# Lease = INGEST_SLICE_S + 4 * HTTP_TIMEOUT_S = 9 s: the new worker waits that long at most for
# the dead worker's lease to expire.
ENV = {
    "POLL_INITIAL_DELAY_S": "0.2",
    "POLL_MAX_DELAY_S": "0.5",
    "BATCH_BYTES": "32768",  # many batches: the kill lands between two committed checkpoints
    "INGEST_SLICE_S": "1",
    "HTTP_TIMEOUT_S": "2",
    # Redis only (RabbitMQ ignores them): a dead worker's unacked messages come back within
    # seconds instead of (on average) many minutes.
    "BROKER_HEARTBEAT_TIMEOUT_S": "3",
    "BROKER_MAINTENANCE_CHANCE": "250000",
}


@dataclass(frozen=True)
class JobRow:
    status: str
    bulk_operation_id: str | None
    bulk_status: str | None
    bulk_attempts: int
    poll_count: int
    checkpoint_line: int
    checkpoint_byte: int
    result_file_size: int | None
    lease_held: bool


def _job_row(database_url: str, job_id: str) -> JobRow:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT status, bulk_operation_id, bulk_status, bulk_attempts, poll_count,"
            " checkpoint_line, checkpoint_byte, result_file_size,"
            " (lease_token IS NOT NULL AND lease_expires_at > now()) AS lease_held"
            " FROM sync_jobs WHERE id = %s",
            (int(job_id),),
        ).fetchone()
    assert row is not None
    return JobRow(**row)


def _wait_for(
    stack: Stack, database_url: str, job_id: str, ready: Any, timeout_s: float = 60.0
) -> JobRow:
    """Read ``sync_jobs`` directly until ``ready(row)``; fail if the job ends first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.group.check_alive()
        row = _job_row(database_url, job_id)
        if ready(row):
            return row
        assert row.status in ("QUEUED", "RUNNING"), f"the job ended before the kill: {row}"
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached the state to kill in")


def _delete_queues(broker_url: str, queue_name: str) -> None:
    """Leave nothing behind in the broker: RabbitMQ queues deleted; Redis queues flushed, and
    the ack sets of our queue (the killed worker's, if maintenance did not get to them)."""
    broker = build_broker(broker_url)
    try:
        DramatiqJobQueue(broker, queue_name)  # declares it, so the broker knows its DQ/XQ
        if broker_url.startswith("amqp"):
            channel = broker.channel  # type: ignore[attr-defined]
            for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
                channel.queue_delete(name)
        else:
            broker.flush(queue_name)
            client = redis.Redis.from_url(broker_url)
            try:
                for pattern in (
                    f"dramatiq:__acks__.*.{queue_name}",
                    f"dramatiq:__acks__.*.{queue_name}.DQ",
                ):
                    for key in client.scan_iter(match=pattern):
                        client.delete(key)
            finally:
                client.close()
    finally:
        broker.close()


@contextmanager
def _stack(
    broker_url: str, database_url: str, logs: Path, *, orders: int, simulator_args: list[str]
) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=orders, logs=logs)
    try:
        with stack.run(
            database_url=database_url,
            redis_url=broker_url,  # any BROKER_URL: amqp:// selects RabbitMQ
            queue_prefix="kill",
            seed=11,
            env=ENV,
            simulator_args=simulator_args,
        ):
            yield stack
    finally:
        if stack.env:
            _delete_queues(broker_url, stack.queue_name)


def _assert_exactly_once(stack: Stack, database_url: str, job: dict[str, Any], orders: int) -> None:
    """Rows, stats and bulk operations of a job that ran exactly once."""
    assert job["status"] == "COMPLETED", job
    shopify = stack.shopify_orders()
    assert len(shopify) == orders
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    _assert_mirror(database_url, shopify)
    stats = job["stats"]
    assert stats["ordersCreated"] == orders
    assert stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == orders + line_items  # every line of the file, counted once
    assert stats["ordersSkipped"] == stats["ordersUpdated"] == stats["failedLines"] == 0
    # One bulk operation: the kill gave no reason to resubmit.
    operations = stack.sim_get("/_sim/operations", shop=DOMAIN)
    assert len(operations) == 1, operations
    assert [r["kind"] for r in stack.sim_get("/_sim/requests", shop=DOMAIN, kind="run")] == ["run"]
    row = _job_row(database_url, job["id"])
    assert row.bulk_attempts == 1 and row.bulk_operation_id == operations[0]["id"]
    assert row.result_file_size is not None
    assert stats["bytesRead"] == row.result_file_size == operations[0]["fileSize"]
    assert (row.checkpoint_line, row.checkpoint_byte) == (orders + line_items, row.result_file_size)


@pytest.mark.parametrize("broker_fixture", BROKERS)
def test_worker_killed_during_ingest_resumes_from_its_checkpoint(
    broker_fixture: str, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    broker_url: str = request.getfixturevalue(broker_fixture)
    orders = 4000
    sim_args = ["--run-seconds", "0", "--layout", "adversarial"]
    with _stack(
        broker_url, database_url, tmp_path, orders=orders, simulator_args=sim_args
    ) as stack:
        job_id = stack.connect()["initialJob"]["id"]

        def mid_ingest(row: JobRow) -> bool:
            return (
                row.status == "RUNNING"
                and row.result_file_size is not None
                and row.checkpoint_line > 0
                and row.checkpoint_byte < row.result_file_size // 2
                and row.lease_held
            )

        _wait_for(stack, database_url, job_id, mid_ingest)
        stack.kill_worker()
        time.sleep(0.5)  # a batch whose COMMIT was already sent may still land
        killed_at = _job_row(database_url, job_id)
        assert killed_at.result_file_size is not None
        assert 0 < killed_at.checkpoint_byte < killed_at.result_file_size, killed_at
        time.sleep(0.5)
        assert _job_row(database_url, job_id) == killed_at  # nobody is working on it

        started = time.monotonic()
        stack.start_worker()
        job = stack.wait(job_id, timeout_s=60)
        recovered_s = time.monotonic() - started
        _assert_exactly_once(stack, database_url, job, orders)
        print(f"killed at line {killed_at.checkpoint_line}, completed {recovered_s:.1f} s later")


@pytest.mark.parametrize("broker_fixture", BROKERS)
def test_worker_killed_while_polling_completes_once(
    broker_fixture: str, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    broker_url: str = request.getfixturevalue(broker_fixture)
    orders = 300
    sim_args = ["--run-seconds", "4", "--layout", "adversarial"]
    with _stack(
        broker_url, database_url, tmp_path, orders=orders, simulator_args=sim_args
    ) as stack:
        job_id = stack.connect()["initialJob"]["id"]

        def polling(row: JobRow) -> bool:
            return (
                row.bulk_operation_id is not None
                and row.bulk_status in ("CREATED", "RUNNING")
                and row.poll_count >= 1
            )

        _wait_for(stack, database_url, job_id, polling)
        stack.kill_worker()
        killed_at = _job_row(database_url, job_id)
        assert killed_at.checkpoint_line == 0 and killed_at.bulk_attempts == 1, killed_at

        started = time.monotonic()
        stack.start_worker()
        job = stack.wait(job_id, timeout_s=60)
        recovered_s = time.monotonic() - started
        _assert_exactly_once(stack, database_url, job, orders)
        print(f"killed while {killed_at.bulk_status}, completed {recovered_s:.1f} s later")
