"""The broker loses a job's message: the scheduler's sweeper re-enqueues it, and the job
completes with exactly Shopify's rows. Two schedulers re-enqueue each lost job once.

Real processes (simulator, API, worker, one or two ``shopsync scheduler``) and a real Redis.
The message is lost as a broker restarted without persistence loses it: the worker is stopped,
every key of the job's queue is deleted (queue, delayed and dead-letter queues, ack sets), and
a new worker starts on the empty queue, so only the sweeper can bring the job back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis

from bulk.jobs import JobRequest, create_job
from bulk.shops import upsert_shop
from bulk.types import SyncMode
from cli.processes import ManagedProcess, ProcessGroup
from tests.support.broker import delete_queues
from tests.support.kill import (
    DOMAIN,
    ENV,
    TOKEN,
    JobRow,
    assert_exactly_once,
    job_row,
    wait_for_row,
)
from tests.support.stack import Stack
from tests.support.token_keys import TEST_CIPHER

pytestmark = pytest.mark.slow

# A short grace and a frequent sweep, so the recovery is measured in seconds; polling slow
# enough that the lease is free between steps when the message is lost.
SWEEP_ENV = {
    **ENV,
    "POLL_INITIAL_DELAY_S": "1",
    "POLL_MAX_DELAY_S": "1",
    "SWEEP_INTERVAL_S": "0.5",
    "SWEEP_GRACE_S": "2",
}


@contextmanager
def _stack(
    broker_url: str, database_url: str, logs: Path, *, orders: int, simulator_args: list[str]
) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=orders, logs=logs)
    try:
        with stack.run(
            database_url=database_url,
            redis_url=broker_url,
            queue_prefix="sweep",
            seed=13,
            env=SWEEP_ENV,
            simulator_args=simulator_args,
        ):
            yield stack
    finally:
        if stack.env:
            delete_queues(broker_url, stack.queue_name)


def _requeues(database_url: str, job_id: int | str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT requeues FROM sync_jobs WHERE id = %s", (int(job_id),)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _db_now(database_url: str) -> object:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def _stepped_since(database_url: str, job_id: str, since: object) -> bool:
    """A worker took the job's lease (and marked it running) after ``since``."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT updated_at > %s OR status NOT IN ('QUEUED', 'RUNNING') FROM sync_jobs"
            " WHERE id = %s",
            (since, int(job_id)),
        ).fetchone()
    assert row is not None
    return bool(row[0])


def test_a_message_lost_by_the_broker_is_recovered_by_the_sweeper(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    orders = 300
    sim_args = ["--run-seconds", "6", "--layout", "adversarial"]
    with _stack(redis_url, database_url, tmp_path, orders=orders, simulator_args=sim_args) as stack:
        stack.group.start(
            ManagedProcess("scheduler", ["scheduler"], env=stack.env, log_dir=tmp_path)
        )
        job_id = stack.connect()["initialJob"]["id"]

        def polling(row: JobRow) -> bool:
            return row.bulk_status in ("CREATED", "RUNNING") and row.poll_count >= 1

        wait_for_row(stack, database_url, job_id, polling)
        # The broker loses everything: the worker stops (its held messages go back to Redis),
        # then every key of the queue goes.
        worker = stack.worker
        worker.stop()
        stack.group.processes.remove(worker)
        lost_at = _db_now(database_url)
        delete_queues(redis_url, stack.queue_name)
        lost = time.monotonic()
        assert not job_row(database_url, job_id).lease_held
        before = _requeues(database_url, job_id)
        stack.start_worker()

        deadline = lost + 60
        while not _stepped_since(database_url, job_id, lost_at):
            stack.group.check_alive()
            assert time.monotonic() < deadline, "the lost job was never recovered"
            time.sleep(0.02)
        recovered_s = time.monotonic() - lost
        assert _requeues(database_url, job_id) == before + 1  # the sweeper did it, once

        job = stack.wait(job_id, timeout_s=120)
        assert_exactly_once(stack, database_url, job, orders)
        print(
            f"\nsweeper recovery: message lost → job running again in {recovered_s:.1f} s "
            f"(grace {SWEEP_ENV['SWEEP_GRACE_S']} s, sweep every {SWEEP_ENV['SWEEP_INTERVAL_S']} s,"
            f" poll delay {SWEEP_ENV['POLL_MAX_DELAY_S']} s)"
        )


def _queued_job_ids(redis_url: str, queue_name: str) -> list[int]:
    """The job ids of the messages waiting in a Dramatiq Redis queue."""
    client = redis.Redis.from_url(redis_url)
    try:
        bodies = client.hvals(f"dramatiq:{queue_name}.msgs")
    finally:
        client.close()
    return sorted(int(json.loads(body)["args"][0]) for body in bodies)


def test_two_schedulers_requeue_each_lost_job_once(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    queue_name = f"sweep2-{time.monotonic_ns():x}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        jobs = []
        for number in range(150):
            shop, _ = upsert_shop(
                conn,
                domain=f"lost{number}.myshopify.com",
                access_token="shpat_lost_secret",
                api_version="2026-10",
                admin_url="http://127.0.0.1:9",
                cipher=TEST_CIPHER,
            )
            jobs.append(
                create_job(conn, JobRequest(shop_id=shop.id, sync_mode=SyncMode.FULL)).job.id
            )
        conn.execute("UPDATE sync_jobs SET next_step_at = now() + interval '1 hour'")
    env = {
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": queue_name,
        "SWEEP_INTERVAL_S": "0.02",
        "SWEEP_GRACE_S": "120",  # one slot per job for the whole test
        "SWEEP_BATCH_SIZE": "3",  # many small sweeps: the two schedulers interleave
    }
    try:
        with ProcessGroup() as group:
            schedulers = [
                group.start(ManagedProcess(name, ["scheduler"], env=env, log_dir=tmp_path))
                for name in ("scheduler1", "scheduler2")
            ]
            deadline = time.monotonic() + 60
            while not all("scheduler.started" in p.log_path.read_text() for p in schedulers):
                group.check_alive()
                assert time.monotonic() < deadline, "the schedulers did not start"
                time.sleep(0.05)
            # Both are sweeping: every message is lost at once, an hour ago. No worker runs, so
            # re-enqueued messages stay queued where they can be counted.
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("UPDATE sync_jobs SET next_step_at = now() - interval '1 hour'")
            while len(_queued_job_ids(redis_url, queue_name)) < len(jobs):
                group.check_alive()
                assert time.monotonic() < deadline, "the lost jobs were never re-enqueued"
                time.sleep(0.05)
            time.sleep(2.0)  # each scheduler sweeps dozens more times meanwhile
            group.check_alive()
        assert _queued_job_ids(redis_url, queue_name) == sorted(jobs)  # each exactly once
        with psycopg.connect(database_url) as conn:
            requeues = {row[0] for row in conn.execute("SELECT requeues FROM sync_jobs")}
        assert requeues == {1}
        per_scheduler = [
            p.log_path.read_text(encoding="utf-8").count("sweeper.requeued") for p in schedulers
        ]
        assert sum(per_scheduler) == len(jobs)
        print(f"\ntwo schedulers: {per_scheduler} re-enqueues of {len(jobs)} lost jobs")
    finally:
        delete_queues(redis_url, queue_name)
