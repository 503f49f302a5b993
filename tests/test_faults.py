"""Fault scenarios with real processes (issue #6, item 12): the simulator, the API and workers
run as child processes; the database must end up holding exactly the simulator's orders and
line items, and each job's stats must be exactly a clean run's.

- a worker SIGKILLed after the job's last commit but before the broker saw the ack: the
  redelivered message is a no-op;
- the worker's Postgres connection terminated (``pg_terminate_backend``) while a batch merges:
  the job resumes from its checkpoint and writes nothing twice;
- 50 concurrent ``startSyncJob`` for one shop: one job, one bulk operation;
- the same message delivered twice at the same instant: the lease lets one worker advance the
  job at a time, and it completes once.

Workers with test-only middleware (a recorder, a kill switch, a barrier) are started through
``tests/fault_worker.py``; everything else is the production code.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import pika
import psycopg
import pytest
from psycopg.rows import dict_row

from cli.demo import START_JOB
from cli.processes import ManagedProcess, ProcessFailed, ProcessGroup
from tests.stack import Stack
from tests.test_end_to_end import _assert_mirror
from tests.test_worker_kill import _delete_queues

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "shpat_faults_secret_token_123"

# Lease = INGEST_SLICE_S + 4 * HTTP_TIMEOUT_S = 7 s: the longest a lost step blocks its job.
ENV = {
    "POLL_INITIAL_DELAY_S": "0.2",
    "POLL_MAX_DELAY_S": "0.5",
    "BATCH_BYTES": "32768",  # many small batches: faults land between and inside them
    "INGEST_SLICE_S": "1",
    "HTTP_TIMEOUT_S": "1.5",
    # Redis only: a dead worker's unacked messages come back within seconds.
    "BROKER_HEARTBEAT_TIMEOUT_S": "3",
    "BROKER_MAINTENANCE_CHANCE": "250000",
}


class FaultStack(Stack):
    """A :class:`Stack` whose next worker may be the test-only entry ``tests.fault_worker``
    (``fault_args``), or none at all when the stack starts (``defer_worker``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fault_args: list[str] | None = None  # None: a plain ``shopsync worker``
        self.worker_env: dict[str, str] = {}
        self.defer_worker = False

    def _start_worker(self, group: ProcessGroup) -> ManagedProcess:
        if self.defer_worker:
            self.defer_worker = False
            return None  # type: ignore[return-value]  # Stack.run ignores it
        if self.fault_args is None:
            return super()._start_worker(group)
        self._workers += 1
        env = {**self.env, **self.worker_env, "PYTHONPATH": str(ROOT)}
        process = ManagedProcess(f"worker{self._workers}", [], env=env, log_dir=self.logs)
        process.args = [sys.executable, "-m", "tests.fault_worker", *self.fault_args]
        return group.start(process)

    def operations(self) -> list[dict[str, Any]]:
        operations: list[dict[str, Any]] = self.sim_get("/_sim/operations", shop=self.domain)
        return operations

    def run_requests(self) -> int:
        return len(self.sim_get("/_sim/requests", shop=self.domain, kind="run"))


@contextmanager
def _stack(
    broker_url: str,
    database_url: str,
    logs: Path,
    *,
    domain: str,
    orders: int,
    layout: str = "adversarial",
    configure: Any = None,
) -> Iterator[FaultStack]:
    stack = FaultStack(domain=domain, token=TOKEN, orders=orders, logs=logs)
    if configure is not None:
        configure(stack)
    try:
        with stack.run(
            database_url=database_url,
            redis_url=broker_url,  # any BROKER_URL: amqp:// selects RabbitMQ
            queue_prefix="faults",
            seed=23,
            env=ENV,
            simulator_args=["--run-seconds", "0", "--layout", layout],
        ):
            yield stack
    finally:
        if stack.env:
            _delete_queues(broker_url, stack.queue_name)


def _job_row(database_url: str, job_id: str | int) -> dict[str, Any]:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        row = conn.execute("SELECT * FROM sync_jobs WHERE id = %s", (int(job_id),)).fetchone()
    assert row is not None
    return row


def _tables(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the ingest writes, synced_at and raw included, in a stable order."""
    queries = {
        "orders": "SELECT * FROM orders ORDER BY shop_id, id",
        "line_items": "SELECT * FROM line_items ORDER BY shop_id, id",
        "job_orders": "SELECT * FROM job_orders ORDER BY job_id, order_id",
        "pending_line_items": "SELECT * FROM pending_line_items ORDER BY job_id, id",
        "dead_letters": "SELECT * FROM dead_letters ORDER BY id",
        "sync_jobs": "SELECT * FROM sync_jobs ORDER BY id",
    }
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        return {name: conn.execute(query).fetchall() for name, query in queries.items()}


def _assert_exact(
    stack: FaultStack, database_url: str, job: dict[str, Any], *, created: int, updated: int
) -> dict[str, Any]:
    """The job COMPLETED exactly once: the tables mirror Shopify, its stats are exactly one
    pass over its file (lines read = lines in the file, bytes read = its size) and it followed
    a single bulk operation. Returns that operation."""
    assert job["status"] == "COMPLETED", job
    shopify = stack.shopify_orders()
    _assert_mirror(database_url, shopify)
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    row = _job_row(database_url, job["id"])
    operation = next(op for op in stack.operations() if op["id"] == row["bulk_operation_id"])
    assert row["bulk_attempts"] == 1, row
    stats = job["stats"]
    assert stats["linesRead"] == operation["objectCount"] == len(shopify) + line_items
    assert stats["bytesRead"] == operation["fileSize"] == row["result_file_size"]
    assert (row["checkpoint_line"], row["checkpoint_byte"]) == (
        operation["objectCount"],
        operation["fileSize"],
    )
    assert stats["ordersCreated"] == created
    assert stats["ordersUpdated"] == updated
    assert stats["ordersUnchanged"] + stats["ordersSkipped"] == len(shopify) - created - updated
    assert stats["failedLines"] == stats["lineItemsDeleted"] == 0
    # Every line counted once: an order or a line item, written or skipped.
    assert (
        stats["ordersCreated"]
        + stats["ordersUpdated"]
        + stats["ordersUnchanged"]
        + stats["ordersSkipped"]
        + stats["lineItemsWritten"]
        + stats["lineItemsSkipped"]
        == stats["linesRead"]
    )
    return operation


def _records(directory: Path) -> list[dict[str, Any]]:
    events = []
    for path in sorted(directory.glob("*.jsonl")):
        events += [json.loads(line) for line in path.read_text().splitlines()]
    return events


def _wait_until(stack: Stack, ready: Any, what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.group.check_alive()
        value = ready()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# -- a. SIGKILL after the last commit, before the ack ---------------------------------------


@pytest.mark.parametrize("broker_fixture", ["rabbitmq_url", "redis_url"])
def test_kill_after_last_commit_before_ack_redelivery_is_a_no_op(
    broker_fixture: str, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    broker_url: str = request.getfixturevalue(broker_fixture)
    orders = 500
    records = tmp_path / "records"
    records.mkdir()

    def kill_switch(stack: FaultStack) -> None:
        stack.fault_args = ["--record", str(records), "--kill-after-completed"]

    with _stack(
        broker_url,
        database_url,
        tmp_path,
        domain="ackless.myshopify.com",
        orders=orders,
        configure=kill_switch,
    ) as stack:
        job_id = stack.connect()["initialJob"]["id"]
        killed_worker = stack.worker

        def killed() -> bool:
            try:
                killed_worker.check_alive()
            except ProcessFailed:
                return True
            return False

        deadline = time.monotonic() + 60
        while not killed():
            assert time.monotonic() < deadline, "the worker was never killed"
            for process in stack.group.processes:
                if process is not killed_worker:
                    process.check_alive()
            time.sleep(0.05)
        stack.group.processes.remove(killed_worker)
        [kill] = [json.loads(line) for line in (records / "killed.log").read_text().splitlines()]
        assert kill["job_id"] == int(job_id)
        before = _tables(database_url)
        [job_row] = before["sync_jobs"]
        assert job_row["status"] == "COMPLETED" and job_row["lease_token"] is None, job_row

        # A normal worker (with a recorder) gets the unacked message again.
        stack.fault_args = ["--record", str(records)]
        started = time.monotonic()
        second = stack.start_worker()

        def redelivered() -> list[dict[str, Any]]:
            return [
                event
                for event in _records(records)
                if event["pid"] == second.pid
                and event["event"] == "end"
                and event["message_id"] == kill["message_id"]
            ]

        [done] = _wait_until(stack, redelivered, "the redelivery of the killed message")
        print(f"redelivered and processed {time.monotonic() - started:.1f} s after restart")
        assert done["exception"] is None, done
        assert all(e["exception"] is None for e in _records(records) if e["event"] == "end")
        # Nothing changed: job row (status, stats, updated_at), orders, line items (synced_at).
        assert _tables(database_url) == before
        job = stack.wait(job_id)
        _assert_exact(stack, database_url, job, created=orders, updated=0)
        assert len(stack.operations()) == 1 and stack.run_requests() == 1


# -- b. the worker's connection terminated mid-batch ----------------------------------------

# One statement finds the worker's backend while it merges a batch (its transaction has already
# advanced the checkpoint: it holds an xid) and terminates it.
TERMINATE_MERGING = """
SELECT pid, pg_terminate_backend(pid) AS terminated, state, left(query, 200) AS query
  FROM pg_stat_activity
 WHERE datname = current_database()
   AND pid <> pg_backend_pid()
   AND backend_xid IS NOT NULL
   AND query LIKE %s
"""


def test_worker_connection_terminated_mid_batch_resumes_exactly(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    orders = 3000
    with _stack(
        redis_url, database_url, tmp_path, domain="terminated.myshopify.com", orders=orders
    ) as stack:
        job_id = stack.connect()["initialJob"]["id"]
        _wait_until(
            stack,
            lambda: _job_row(database_url, job_id)["checkpoint_line"] > 0,
            "the first committed batch",
        )
        with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
            deadline = time.monotonic() + 30
            while True:
                assert time.monotonic() < deadline, "never saw a batch merging"
                found = conn.execute(TERMINATE_MERGING, ("%WITH batch_orders AS%",)).fetchall()
                if found:
                    break
                row = _job_row(database_url, job_id)
                assert row["status"] == "RUNNING", f"the job ended before the fault: {row}"
        [victim] = found
        assert victim["terminated"], victim
        time.sleep(0.2)
        at_fault = _job_row(database_url, job_id)
        assert at_fault["status"] == "RUNNING", at_fault
        assert 0 < at_fault["checkpoint_byte"] < at_fault["result_file_size"], at_fault

        started = time.monotonic()
        job = stack.wait(job_id, timeout_s=60)
        print(
            f"terminated at line {at_fault['checkpoint_line']},"
            f" completed {time.monotonic() - started:.1f} s later"
        )
        _assert_exact(stack, database_url, job, created=orders, updated=0)
        assert len(stack.operations()) == 1 and stack.run_requests() == 1
        # The fault really hit the worker (and not, say, the API).
        log = stack.worker.log_path.read_text(encoding="utf-8", errors="replace")
        assert "terminating connection due to administrator command" in log
