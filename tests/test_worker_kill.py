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
from pathlib import Path

import pytest

from tests.support.broker import delete_queues
from tests.support.kill import (
    DOMAIN,
    ENV,
    METAFIELDS,
    TOKEN,
    JobRow,
    assert_exactly_once,
    job_row,
    wait_for_row,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

BROKERS = ["rabbitmq_url", "redis_url"]


@contextmanager
def _stack(
    broker_url: str,
    database_url: str,
    logs: Path,
    *,
    orders: int,
    simulator_args: list[str],
    env: dict[str, str] = ENV,
) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=orders, logs=logs)
    try:
        with stack.run(
            database_url=database_url,
            redis_url=broker_url,  # any BROKER_URL: amqp:// selects RabbitMQ
            queue_prefix="kill",
            seed=11,
            env=env,
            simulator_args=simulator_args,
        ):
            yield stack
    finally:
        if stack.env:
            delete_queues(broker_url, stack.queue_name)


@pytest.mark.parametrize("broker_fixture", BROKERS)
def test_worker_killed_during_ingest_resumes_from_its_checkpoint(
    broker_fixture: str, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    broker_url: str = request.getfixturevalue(broker_fixture)
    orders = 4000
    sim_args = ["--run-seconds", "0", "--layout", "adversarial"]
    # Metafields too: children of an added connection resume exactly once as line items do.
    env = {**ENV, "EXTRA_ORDER_FIELDS": METAFIELDS}
    with _stack(
        broker_url, database_url, tmp_path, orders=orders, simulator_args=sim_args, env=env
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

        wait_for_row(stack, database_url, job_id, mid_ingest)
        stack.kill_worker()
        time.sleep(0.5)  # a batch whose COMMIT was already sent may still land
        killed_at = job_row(database_url, job_id)
        assert killed_at.result_file_size is not None
        assert 0 < killed_at.checkpoint_byte < killed_at.result_file_size, killed_at
        time.sleep(0.5)
        assert job_row(database_url, job_id) == killed_at  # nobody is working on it

        started = time.monotonic()
        stack.start_worker()
        job = stack.wait(job_id, timeout_s=60)
        recovered_s = time.monotonic() - started
        assert_exactly_once(stack, database_url, job, orders, metafields=True)
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

        wait_for_row(stack, database_url, job_id, polling)
        stack.kill_worker()
        killed_at = job_row(database_url, job_id)
        assert killed_at.checkpoint_line == 0 and killed_at.bulk_attempts == 1, killed_at

        started = time.monotonic()
        stack.start_worker()
        job = stack.wait(job_id, timeout_s=60)
        recovered_s = time.monotonic() - started
        assert_exactly_once(stack, database_url, job, orders)
        print(f"killed while {killed_at.bulk_status}, completed {recovered_s:.1f} s later")
