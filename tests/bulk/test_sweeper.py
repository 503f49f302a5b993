"""The sweeper against a real Postgres: which jobs count as lost, budgets, concurrent sweepers."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from bulk.jobs import JobRequest, create_job
from bulk.shops import upsert_shop
from bulk.sweeper import sweep_lost_jobs
from bulk.types import JobStatus, SyncMode
from tests.support.shopify_sim import job_of
from tests.support.token_keys import TEST_CIPHER

GRACE_S = 60.0
MAX_DELIVERIES = 5


def _job(conn: psycopg.Connection[Any], number: int, **columns: str) -> int:
    """An active job of its own shop, its row then set with SQL expressions per column."""
    shop, _ = upsert_shop(
        conn,
        domain=f"sweep{number}.myshopify.com",
        access_token="shpat_sweep",
        api_version="2026-10",
        admin_url="http://127.0.0.1:9",
        cipher=TEST_CIPHER,
    )
    job_id = create_job(conn, JobRequest(shop_id=shop.id, sync_mode=SyncMode.FULL)).job.id
    for column, expression in columns.items():
        # Test-only SQL: column names and expressions are literals of this file.
        conn.execute(f"UPDATE sync_jobs SET {column} = {expression} WHERE id = %s", (job_id,))
    return job_id


def _sweep(conn: psycopg.Connection[Any], sent: list[int]) -> tuple[list[int], list[int]]:
    sweep = sweep_lost_jobs(conn, sent.append, grace_s=GRACE_S, max_deliveries=MAX_DELIVERIES)
    return sweep.requeued, sweep.failed


def _requeues(conn: psycopg.Connection[Any], job_id: int) -> int:
    row = conn.execute("SELECT requeues FROM sync_jobs WHERE id = %s", (job_id,)).fetchone()
    assert row is not None
    return int(row[0])


def test_only_jobs_whose_message_was_lost_are_requeued_once_per_slot(
    conn: psycopg.Connection[Any],
) -> None:
    long_ago = "now() - interval '10 minutes'"
    lost = _job(conn, 1, next_step_at=long_ago, status="'RUNNING'")
    never_sent = _job(conn, 2, next_step_at=long_ago)  # QUEUED: the enqueue after commit failed
    dead_worker = _job(
        conn,
        3,
        next_step_at=long_ago,
        lease_token="gen_random_uuid()",
        lease_expires_at="now() - interval '5 minutes'",
    )
    untouched = [
        _job(conn, 4, next_step_at="now() + interval '10 minutes'"),  # a long backoff
        _job(conn, 5, next_step_at="now() - interval '10 seconds'"),  # due, within grace
        _job(  # a live worker on a long step
            conn,
            6,
            next_step_at=long_ago,
            lease_token="gen_random_uuid()",
            lease_expires_at="now() + interval '5 minutes'",
        ),
        _job(  # a dead worker whose message the broker may still redeliver
            conn,
            7,
            next_step_at=long_ago,
            lease_token="gen_random_uuid()",
            lease_expires_at="now() - interval '10 seconds'",
        ),
        _job(conn, 8, next_step_at=long_ago, status="'COMPLETED'", finished_at="now()"),
        _job(conn, 9, next_step_at=long_ago, status="'CANCELLED'", finished_at="now()"),
    ]
    sent: list[int] = []
    requeued, failed = _sweep(conn, sent)
    assert sorted(requeued) == sorted(sent) == sorted([lost, never_sent, dead_worker])
    assert failed == []
    assert _sweep(conn, sent) == ([], [])  # claimed: not again before another grace period
    assert len(sent) == 3
    for job_id in (lost, never_sent, dead_worker):
        assert _requeues(conn, job_id) == 1
    for job_id in untouched:
        assert _requeues(conn, job_id) == 0
    # Another grace period without a step: lost again, requeued again.
    conn.execute(f"UPDATE sync_jobs SET next_step_at = {long_ago} WHERE id = %s", (lost,))
    assert _sweep(conn, sent) == ([lost], [])


def test_a_sweep_handles_at_most_its_batch(conn: psycopg.Connection[Any]) -> None:
    jobs = [_job(conn, n, next_step_at="now() - interval '10 minutes'") for n in range(10)]
    sent: list[int] = []
    batches = []
    for _ in range(4):
        sweep = sweep_lost_jobs(
            conn, sent.append, grace_s=GRACE_S, max_deliveries=MAX_DELIVERIES, limit=3
        )
        batches.append(len(sweep.requeued))
    assert batches == [3, 3, 3, 1]
    assert sorted(sent) == sorted(jobs)


def test_lost_jobs_with_a_spent_budget_fail_readably(conn: psycopg.Connection[Any]) -> None:
    long_ago = "now() - interval '10 minutes'"
    spent = _job(
        conn,
        1,
        next_step_at=long_ago,
        status="'RUNNING'",
        deliveries=str(MAX_DELIVERIES),
        step_error="'TimeLimitExceeded'",
    )
    spent_silently = _job(conn, 2, next_step_at=long_ago, deliveries=str(MAX_DELIVERIES))
    spent_but_leased = _job(
        conn,
        3,
        next_step_at=long_ago,
        deliveries=str(MAX_DELIVERIES),
        lease_token="gen_random_uuid()",
        lease_expires_at="now() + interval '5 minutes'",
    )
    not_yet = _job(conn, 4, next_step_at=long_ago, deliveries=str(MAX_DELIVERIES - 1))
    sent: list[int] = []
    requeued, failed = _sweep(conn, sent)
    assert sorted(failed) == sorted([spent, spent_silently])
    assert requeued == sent == [not_yet]
    job = job_of(conn, spent)
    assert job.status is JobStatus.FAILED and job.finished_at is not None
    assert job.error == (
        f"gave up after {MAX_DELIVERIES} deliveries of a step that did not finish; "
        "last error: TimeLimitExceeded"
    )
    silent = job_of(conn, spent_silently)
    assert silent.status is JobStatus.FAILED and silent.error is not None
    assert "no error was recorded" in silent.error
    assert job_of(conn, spent_but_leased).status is JobStatus.QUEUED


def test_concurrent_sweepers_requeue_each_lost_job_once(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    sweepers = 4
    jobs = [_job(conn, n, next_step_at="now() - interval '10 minutes'") for n in range(40)]
    sent: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(sweepers)
    errors: list[BaseException] = []

    def send(job_id: int) -> None:
        with lock:
            sent.append(job_id)

    def sweeper() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as own:
                start.wait()
                for _ in range(5):
                    sweep_lost_jobs(own, send, grace_s=GRACE_S, max_deliveries=MAX_DELIVERIES)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(sweepers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(sent) == sorted(jobs)  # every lost job exactly once
    assert {_requeues(conn, job_id) for job_id in jobs} == {1}
