"""Every job ends: a step that crashes, or a delivery that dies without a word, is retried a
bounded number of times (counted in the database) and then FAILED with a readable error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bulk.lease import LeasedJob, cancel_job_row, take_lease
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.types import JobStatus
from bulk.workflow import Step
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    DEV_POLICY,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    open_pool,
    run_job,
    run_until_done,
    sim_config,
    sim_operations,
    store_shop,
)

ORDERS = 30
# What an unexpected exception might quote: neither may reach the job's error.
SIGNED_URL = "https://storage.example/ops/1.jsonl?Expires=99&Signature=sig-SECRET-0123"
TOKEN = "shpat_0123456789abcdef_SECRET"


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    # Long enough a run that the job polls many more times than the delivery budget, even when
    # a loaded machine spends most of a second between the submit and the first poll.
    with SimulatorServer(sim_config(ORDERS, run_seconds=2.0)) as srv:
        yield srv


class CrashingClients:
    """A client factory whose first ``crashes`` calls fail as a bug would (None: all of them)."""

    def __init__(self, crashes: int | None) -> None:
        self.crashes = crashes
        self.calls = 0

    def __call__(self, endpoint: ShopifyEndpoint) -> ShopifyClient:
        self.calls += 1
        if self.crashes is None or self.calls <= self.crashes:
            raise RuntimeError(
                f"bug in a step: 'NoneType' object has no attribute {self.calls}"
                f" (fetching {SIGNED_URL} as {TOKEN})"
            )
        return ShopifyClient(endpoint, timeout_s=5.0, max_retries=2, policy=DEV_POLICY)


def _row(conn: psycopg.Connection[Any], job_id: int) -> dict[str, Any]:
    cur = conn.execute(
        "SELECT deliveries, step_error, error, poll_count FROM sync_jobs WHERE id = %s", (job_id,)
    )
    names = [d.name for d in cur.description or []]
    values = cur.fetchone()
    assert values is not None
    return dict(zip(names, values, strict=True))


def test_a_step_that_keeps_crashing_fails_the_job_naming_its_error(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    clients = CrashingClients(crashes=None)
    steps = run_job(database_url, job_id, settings={"max_deliveries": 3}, client_factory=clients)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and job.finished_at is not None
    assert job.error is not None
    assert "3 deliveries" in job.error, job.error
    assert "RuntimeError: bug in a step" in job.error and "attribute 3" in job.error, job.error
    assert "https://storage.example/ops/1.jsonl" in job.error and "SECRET" not in job.error
    # Three crashed deliveries, each a bounded retry with a growing delay; the fourth fails it.
    assert clients.calls == 3 and [s.done for s in steps] == [False, False, False, True]
    assert 0 < steps[0].delay_s < steps[1].delay_s < steps[2].delay_s
    assert sim_operations(server) == []


def test_a_step_that_crashes_then_recovers_completes_however_long_the_job(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    settings = fast_settings(database_url, max_deliveries=2)
    with open_pool(database_url) as pool:
        runner = make_runner(pool, settings, client_factory=CrashingClients(crashes=1))
        assert not runner.advance(job_id).done  # crashes: recorded, retried
        crashed = _row(conn, job_id)
        assert crashed["deliveries"] == 1 and crashed["step_error"] == crashed["error"]
        assert crashed["step_error"].startswith("RuntimeError: bug in a step")
        assert not runner.advance(job_id).done  # submits: a clean step
        clean = _row(conn, job_id)
        assert (clean["deliveries"], clean["step_error"], clean["error"]) == (0, None, None)
        run_until_done(runner, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    # Each clean step starts the count over: many more steps than the budget, none failed it.
    assert _row(conn, job_id)["poll_count"] > 2


def test_a_crash_after_the_job_was_cancelled_sends_no_further_message(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job_id = new_job(conn, store_shop(conn, server))

    def cancelled_then_crashing(endpoint: ShopifyEndpoint) -> ShopifyClient:
        cancel_job_row(conn, job_id)  # cancelled by a user while the step runs
        raise RuntimeError("bug after the cancel")

    with open_pool(database_url) as pool:
        runner = make_runner(
            pool, fast_settings(database_url), client_factory=cancelled_then_crashing
        )
        assert runner.advance(job_id) == Step(done=True)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.CANCELLED and job.error is None


def _die_holding_the_lease(conn: psycopg.Connection[Any], job_id: int) -> None:
    """What SIGKILL or the OOM killer leaves: a lease taken, never released, nothing recorded."""
    leased = take_lease(conn, job_id, ttl_s=0.01)
    assert isinstance(leased, LeasedJob)
    time.sleep(0.02)  # the dead worker's lease expires


def test_deliveries_that_die_without_a_word_fail_the_job(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    for _ in range(2):
        _die_holding_the_lease(conn, job_id)
    steps = run_job(database_url, job_id, settings={"max_deliveries": 2})
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and len(steps) == 1
    assert job.error is not None and "2 deliveries" in job.error
    assert "no error was recorded" in job.error and "killed" in job.error, job.error
    assert sim_operations(server) == []


def test_the_failure_names_the_last_recorded_error_after_a_silent_death(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    with open_pool(database_url) as pool:
        settings = fast_settings(database_url, max_deliveries=2)
        crashing = make_runner(pool, settings, client_factory=CrashingClients(crashes=None))
        first = crashing.advance(job_id)  # crashes; its error is recorded on the job
        assert not first.done and first.delay_s > 0
        assert _row(conn, job_id)["step_error"].startswith("RuntimeError: bug in a step")
        _die_holding_the_lease(conn, job_id)  # then a delivery killed mid-step
        assert make_runner(pool, settings).advance(job_id).done
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert "2 deliveries" in job.error and "RuntimeError: bug in a step" in job.error, job.error
