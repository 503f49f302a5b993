"""Fault scenarios with real processes (issue #6, item 12): the simulator, the API and workers
run as child processes; the database must end up holding exactly the simulator's orders and
line items, and each job's stats must be exactly a clean run's.

- a worker SIGKILLed after the job's last commit but before the broker saw the ack: the
  redelivered message is a no-op;
- the worker's Postgres connection terminated (``pg_terminate_backend``) while a batch merges,
  or after the end-of-file work committed but before the job is marked COMPLETED: the job
  resumes from its checkpoint and writes (and counts) nothing twice;
- 50 concurrent ``startSyncJob`` for one shop: one job, one bulk operation;
- the same message delivered twice at the same instant: the lease lets one worker advance the
  job at a time, and it completes once.

Workers with test-only middleware (a recorder, a kill switch, a barrier) are started through
``tests/support/fault_worker.py``; everything else is the production code.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
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

from cli.processes import ManagedProcess, ProcessFailed, ProcessGroup
from cli.remote.documents import START_JOB
from tests.support.broker import delete_queues
from tests.support.mirror import assert_mirror
from tests.support.stack import Stack

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
        process.args = [sys.executable, "-m", "tests.support.fault_worker", *self.fault_args]
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
            delete_queues(broker_url, stack.queue_name)


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
    stack: FaultStack,
    database_url: str,
    job: dict[str, Any],
    *,
    created: int,
    updated: int,
    deleted: int = 0,
) -> dict[str, Any]:
    """The job COMPLETED exactly once: the tables mirror Shopify, its stats are exactly one
    pass over its file (lines read = lines in the file, bytes read = its size) and it followed
    a single bulk operation. Returns that operation."""
    assert job["status"] == "COMPLETED", job
    shopify = stack.shopify_orders()
    assert_mirror(database_url, shopify)
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
    assert stats["failedLines"] == 0
    assert stats["lineItemsDeleted"] == deleted
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

# A test-only gate in the test's own database: the merge of the first batch past line 2,000
# inserts into line_items and, while the test holds advisory lock 6_000_012, waits on it inside
# the batch's transaction (the checkpoint already advanced, nothing committed). The test then
# terminates exactly that backend: deterministic whatever the machine's speed.
MERGE_GATE = """
CREATE FUNCTION fault_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT max(checkpoint_line) FROM sync_jobs) > 2000 THEN
        PERFORM pg_advisory_xact_lock_shared(6000012);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER line_items_fault_gate BEFORE INSERT ON line_items
    FOR EACH STATEMENT EXECUTE FUNCTION fault_gate();
"""

# The worker's backend waiting at the gate, terminated.
TERMINATE_GATED = """
SELECT pid, pg_terminate_backend(pid) AS terminated, state, left(query, 200) AS query
  FROM pg_stat_activity
 WHERE datname = current_database()
   AND pid <> pg_backend_pid()
   AND backend_xid IS NOT NULL
   AND wait_event_type = 'Lock' AND wait_event = 'advisory'
"""


def test_worker_connection_terminated_mid_batch_resumes_exactly(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    orders = 3000
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute(MERGE_GATE)
    with (
        psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn,
        _stack(
            redis_url, database_url, tmp_path, domain="terminated.myshopify.com", orders=orders
        ) as stack,
    ):
        conn.execute("SELECT pg_advisory_lock(6000012)")
        job_id = stack.connect()["initialJob"]["id"]
        found = _wait_until(
            stack, lambda: conn.execute(TERMINATE_GATED).fetchall(), "a batch held at the gate"
        )
        conn.execute("SELECT pg_advisory_unlock(6000012)")
        # One batch's parts, each held at the gate on its own merge connection.
        assert found and all(victim["terminated"] for victim in found), found
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


# -- c. 50 concurrent startSyncJob for one shop ---------------------------------------------


def test_fifty_concurrent_starts_create_one_job_and_one_operation(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    orders, requests = 300, 50
    with _stack(
        redis_url, database_url, tmp_path, domain="crowd.myshopify.com", orders=orders
    ) as stack:
        connected = stack.connect()
        shop_id = connected["shop"]["id"]
        assert stack.wait(connected["initialJob"]["id"])["status"] == "COMPLETED"
        changed = stack.sim_post(
            f"/_sim/shops/{stack.domain}/orders/mutate", {"update": 20, "create": 5, "seed": 5}
        )
        operations_before, runs_before = stack.operations(), stack.run_requests()

        body = {"query": START_JOB, "variables": {"input": {"shopId": shop_id}}}
        answers: list[dict[str, Any]] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(requests)
        lock = threading.Lock()

        def start_one() -> None:
            try:
                auth = {"Authorization": f"Bearer {stack.api_token}"}
                with httpx.Client(timeout=60, headers=auth) as client:
                    client.get(f"{stack.api_url}/healthz").raise_for_status()  # connected
                    barrier.wait(timeout=30)
                    response = client.post(f"{stack.api_url}/graphql", json=body)
                response.raise_for_status()
                payload = response.json()
                assert "errors" not in payload, payload
                with lock:
                    answers.append(payload["data"]["startSyncJob"])
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        threads = [threading.Thread(target=start_one) for _ in range(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not errors, errors[:3]
        assert len(answers) == requests
        kinds = sorted(answer["__typename"] for answer in answers)
        assert kinds == ["SyncJobAlreadyRunning"] * (requests - 1) + ["SyncJobStarted"], kinds
        job_ids = {answer["job"]["id"] for answer in answers}
        assert len(job_ids) == 1, job_ids
        [job_id] = job_ids
        with psycopg.connect(database_url) as conn:
            jobs = conn.execute("SELECT id FROM sync_jobs ORDER BY id").fetchall()
        assert [str(row[0]) for row in jobs] == [connected["initialJob"]["id"], job_id]

        job = stack.wait(job_id)
        operation = _assert_exact(
            stack,
            database_url,
            job,
            created=len(changed["created"]),
            updated=len(changed["updated"]),
        )
        # One more bulk operation (this job's) and one more bulkOperationRunQuery.
        assert [op["id"] for op in stack.operations()] == [
            *(op["id"] for op in operations_before),
            operation["id"],
        ]
        assert stack.run_requests() == runs_before + 1


# -- d. the same message delivered twice at once --------------------------------------------

# Test instrumentation in the test's own database (not a migration): every committed change of
# a sync_jobs row, in the order the row changed (the row lock orders the trigger's nextval).
AUDIT_JOBS = """
CREATE TABLE job_audit (
    seq bigserial PRIMARY KEY,
    -- The writing process (a worker's pool names its connections with its pid).
    backend text NOT NULL DEFAULT current_setting('application_name'),
    job_id bigint NOT NULL,
    old_lease uuid,
    new_lease uuid,
    old_status text NOT NULL,
    new_status text NOT NULL,
    old_byte bigint NOT NULL,
    new_byte bigint NOT NULL
);
CREATE FUNCTION audit_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_audit (job_id, old_lease, new_lease, old_status, new_status, old_byte,
                           new_byte)
    VALUES (NEW.id, OLD.lease_token, NEW.lease_token, OLD.status, NEW.status,
            OLD.checkpoint_byte, NEW.checkpoint_byte);
    RETURN NEW;
END $$;
CREATE TRIGGER sync_jobs_audit AFTER UPDATE ON sync_jobs
    FOR EACH ROW EXECUTE FUNCTION audit_job();
"""


def _duplicate_message(rabbitmq_url: str, queue_name: str) -> str:
    """Take the job's message off the queue and put it back twice (same body, same message
    id): what a broker redelivering a message to two consumers hands over. Returns its id."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        channel = connection.channel()
        deadline = time.monotonic() + 10
        while True:
            method, properties, body = channel.basic_get(queue_name)
            if method is not None:
                break
            assert time.monotonic() < deadline, "the API's message never reached the queue"
            time.sleep(0.05)
        channel.confirm_delivery()  # each publish returns once the broker has the message
        for _ in range(2):
            channel.basic_publish("", queue_name, body, properties, mandatory=True)
        channel.basic_ack(method.delivery_tag)
        while (count := channel.queue_declare(queue_name, passive=True).method.message_count) < 2:
            assert time.monotonic() < deadline, f"{count} copies in the queue"
            time.sleep(0.05)
        assert count == 2
        message_id: str = dramatiq.Message.decode(body).message_id
        return message_id
    finally:
        connection.close()


def test_same_message_twice_at_once_advances_one_at_a_time(
    rabbitmq_url: str, database_url: str, tmp_path: Path
) -> None:
    orders = 2000
    records, barrier = tmp_path / "records", tmp_path / "barrier"
    records.mkdir()
    barrier.mkdir()

    def no_worker_yet(stack: FaultStack) -> None:
        stack.defer_worker = True

    with _stack(
        rabbitmq_url,
        database_url,
        tmp_path,
        domain="twice.myshopify.com",
        orders=orders,
        configure=no_worker_yet,
    ) as stack:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(AUDIT_JOBS)
        job_id = stack.connect()["initialJob"]["id"]
        message_id = _duplicate_message(rabbitmq_url, stack.queue_name)

        # Two workers, each taking one message at a time (prefetch 1): each gets one copy, and
        # the barrier holds the first until the second has it too.
        stack.fault_args = ["--record", str(records), "--barrier", message_id]
        stack.fault_args += ["--barrier-dir", str(barrier)]
        stack.worker_env = {"dramatiq_queue_prefetch": "1"}
        first, second = stack.start_worker(), stack.start_worker()
        job = stack.wait(job_id, timeout_s=90)
        _assert_exact(stack, database_url, job, created=orders, updated=0)
        assert len(stack.operations()) == 1 and stack.run_requests() == 1

        # Both copies were in process at once, in the two processes.
        assert not list(barrier.glob("timeout-*"))
        events = _records(records)
        copies = [e for e in events if e["message_id"] == message_id]
        starts = [e for e in copies if e["event"] == "start"]
        ends = [e for e in copies if e["event"] == "end"]
        assert {e["pid"] for e in starts} == {first.pid, second.pid}, copies
        assert len(ends) == 2 and max(e["t"] for e in starts) < min(e["t"] for e in ends)

        # The losing copy re-enqueued itself for when the lease expires: wait until every
        # message of the job has been processed, so a late write would show in the audit.
        def settled() -> bool:
            now = _records(records)
            ended = Counter(e["message_id"] for e in now if e["event"] == "end")
            enqueued = {e["message_id"] for e in now if e["event"] == "enqueue"}
            return ended[message_id] == 2 and all(ended[m] >= 1 for m in enqueued)

        _wait_until(stack, settled, "every message of the job to be processed", timeout_s=30)
        events = _records(records)
        assert all(e["exception"] is None for e in events if e["event"] == "end")
        with psycopg.connect(database_url, row_factory=dict_row) as conn:
            audit = conn.execute("SELECT * FROM job_audit ORDER BY seq").fetchall()
        leases = _assert_one_lease_at_a_time(audit)
        # Two chains of messages, one lease per step: at least one delivery was turned away.
        deliveries = sum(e["event"] == "end" for e in events)
        assert deliveries > leases, (deliveries, leases)
        print(f"{deliveries} deliveries, {leases} steps, {len(audit)} row changes")


def _assert_one_lease_at_a_time(audit: list[dict[str, Any]]) -> int:
    """The job's row went NULL → lease → … → NULL for each step: a lease was only ever taken
    when none was held, every change under a lease came from the process that took it (its job
    step's connection or one of its merge connections),
    nothing changed without a lease, and the job completed once, as its last change. Returns
    the number of leases taken (steps)."""
    held: Any = None
    backend_of: dict[Any, int] = {}
    for change in audit:
        old, new = change["old_lease"], change["new_lease"]
        assert old == held, f"a lease changed hands while held: {change}"
        if old is None:
            assert new is not None, f"a change without a lease: {change}"
            assert new not in backend_of, f"a lease was reused: {change}"
            backend_of[new] = change["backend"]
        else:
            assert change["backend"] == backend_of[old], f"two processes, one lease: {change}"
        held = new
    assert held is None, "the last step never released its lease"
    completions = [c for c in audit if c["new_status"] == "COMPLETED"]
    assert len(completions) == 1 and completions[0] is audit[-1], completions
    assert len(backend_of) > 1  # several steps (submit, polls, slices)
    return len(backend_of)


# -- b'. the worker's connection terminated while the job completes -------------------------

# Test instrumentation: the job's COMPLETED update waits on an advisory lock the test holds,
# so the fault lands deterministically after the end-of-file work (deletions) has committed.
HOLD_COMPLETION = """
CREATE FUNCTION hold_completion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(6012);
    RETURN NEW;
END $$;
CREATE TRIGGER sync_jobs_hold_completion BEFORE UPDATE ON sync_jobs FOR EACH ROW
    WHEN (OLD.status = 'RUNNING' AND NEW.status = 'COMPLETED')
    EXECUTE FUNCTION hold_completion();
"""
TERMINATE_COMPLETING = """
SELECT pid, pg_terminate_backend(pid) AS terminated
  FROM pg_stat_activity
 WHERE datname = current_database()
   AND pid <> pg_backend_pid()
   AND wait_event = 'advisory'
   AND query LIKE '%status = ''COMPLETED''%'
"""


def test_worker_connection_terminated_while_completing_finishes_once(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    orders, trimmed = 300, 5
    with _stack(
        redis_url, database_url, tmp_path, domain="completing.myshopify.com", orders=orders
    ) as stack:
        connected = stack.connect()
        assert stack.wait(connected["initialJob"]["id"])["status"] == "COMPLETED"
        # Shopify drops one line item of a few orders: the next job's end-of-file work deletes
        # them, then the connection dies before the job is marked COMPLETED.
        shopify = stack.shopify_orders()
        several = [order for order in shopify.values() if len(order["lineItems"]) > 1]
        for order in several[:trimmed]:
            number = order["id"].rsplit("/", 1)[-1]
            response = httpx.patch(
                f"{stack.sim_url}/_sim/shops/{stack.domain}/orders/{number}",
                json={"fields": {"lineItems": order["lineItems"][:-1]}},
                timeout=10,
            )
            response.raise_for_status()
        with psycopg.connect(database_url, autocommit=True) as holder:
            holder.execute(HOLD_COMPLETION)
            holder.execute("SELECT pg_advisory_lock(6012)")
            started = stack.api.execute(
                START_JOB, {"input": {"shopId": connected["shop"]["id"], "syncMode": "FULL"}}
            )["startSyncJob"]
            assert started["__typename"] == "SyncJobStarted", started
            job_id = started["job"]["id"]
            victims = _wait_until(
                stack,
                lambda: holder.execute(TERMINATE_COMPLETING).fetchall(),
                "the worker to wait on the completion",
            )
            assert [terminated for _, terminated in victims] == [True], victims
            at_fault = _job_row(database_url, job_id)
            holder.execute("DROP TRIGGER sync_jobs_hold_completion ON sync_jobs")
            holder.execute("SELECT pg_advisory_unlock(6012)")
        assert at_fault["status"] == "RUNNING", at_fault
        assert at_fault["checkpoint_byte"] == at_fault["result_file_size"], at_fault
        assert at_fault["line_items_deleted"] == trimmed, at_fault  # the deletions committed

        job = stack.wait(job_id, timeout_s=60)
        # The end-of-file work ran again: its deletions are not counted twice.
        _assert_exact(stack, database_url, job, created=0, updated=trimmed, deleted=trimmed)
        assert len(stack.operations()) == 2 and stack.run_requests() == 2
