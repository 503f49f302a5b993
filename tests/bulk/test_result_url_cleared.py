"""A signed result URL is a credential: no finished job keeps one, whichever path finished it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from bulk.lease import LeasedJob, take_lease
from bulk.sweeper import sweep_lost_jobs
from bulk.types import JobStatus
from bulk.workflow import cancel_job
from simulator.server import SimulatorServer
from tests.support.shopify_sim import job_of, new_job, run_job, sim_config, store_shop
from tests.support.token_keys import TEST_CIPHER

Conn = psycopg.Connection[Any]
SIGNED_URL = "https://storage.example/result.jsonl?X-Goog-Signature=secret"


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(20)) as srv:
        yield srv


def _job_with_result_url(conn: Conn, server: SimulatorServer) -> int:
    job_id = new_job(conn, store_shop(conn, server))
    conn.execute(
        "UPDATE sync_jobs SET status = 'RUNNING', bulk_operation_id = 'gid://op/1', "
        "bulk_status = 'COMPLETED', result_url = %s WHERE id = %s",
        (SIGNED_URL, job_id),
    )
    return job_id


def _leased(conn: Conn, job_id: int) -> LeasedJob:
    leased = take_lease(conn, job_id, ttl_s=60)
    assert isinstance(leased, LeasedJob)
    return leased


def _fail(conn: Conn, job_id: int) -> None:
    _leased(conn, job_id).fail("boom")


def _complete(conn: Conn, job_id: int) -> None:
    _leased(conn, job_id).complete()


def _cancel(conn: Conn, job_id: int) -> None:
    assert cancel_job(conn, job_id, TEST_CIPHER)


def _sweep_out(conn: Conn, job_id: int) -> None:
    conn.execute(
        "UPDATE sync_jobs SET deliveries = 5, next_step_at = now() - interval '1 hour' "
        "WHERE id = %s",
        (job_id,),
    )
    assert sweep_lost_jobs(conn, lambda _: None, grace_s=1, max_deliveries=5).failed == [job_id]


@pytest.mark.parametrize(
    ("finish", "status"),
    [
        (_complete, JobStatus.COMPLETED),
        (_fail, JobStatus.FAILED),
        (_cancel, JobStatus.CANCELLED),
        (_sweep_out, JobStatus.FAILED),
    ],
)
def test_the_result_url_is_cleared_at_each_terminal_status(
    conn: Conn,
    server: SimulatorServer,
    finish: Callable[[Conn, int], None],
    status: JobStatus,
) -> None:
    job_id = _job_with_result_url(conn, server)
    assert job_of(conn, job_id).result_url == SIGNED_URL
    finish(conn, job_id)
    job = job_of(conn, job_id)
    assert (job.status, job.result_url) == (status, None)


def test_a_job_run_to_completion_keeps_no_result_url(
    conn: Conn, database_url: str, server: SimulatorServer
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED and job.object_count
    assert job.result_url is None
