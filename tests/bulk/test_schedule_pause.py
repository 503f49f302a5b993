"""A job failing on a frozen or locked shop (402/423) pauses the shop's schedule with the reason;
a MANUAL sync that completes lifts that pause (a scheduled one does not, nor does any sync lift
an admin's pause). Real workflow steps against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from bulk import schedules
from bulk.jobs import JobRequest, create_job
from bulk.schedules import PauseCause, ScheduleSpec
from bulk.types import JobStatus, JobTrigger, SyncMode
from simulator.server import SimulatorServer
from tests.support.shopify_sim import add_fault, job_of, run_job, sim_config, store_shop

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(10)) as srv:
        yield srv


def _schedule(conn: psycopg.Connection[Any], shop_id: int, *, paused: bool = False) -> None:
    spec = ScheduleSpec(
        update_every_s=900,
        stale_margin_s=300,
        reconcile_every_s=None,
        reconcile_anchor_at=NOW,
        paused=paused,
    )
    schedules.put_schedule(conn, shop_id, spec, now=NOW)


def _job(conn: psycopg.Connection[Any], shop_id: int, trigger: JobTrigger) -> int:
    request = JobRequest(shop_id=shop_id, sync_mode=SyncMode.FULL, trigger=trigger)
    return create_job(conn, request).job.id


@pytest.mark.parametrize("status", [402, 423])
def test_a_frozen_shop_pauses_its_schedule_and_a_completed_manual_sync_resumes_it(
    database_url: str, conn: psycopg.Connection[Any], server: SimulatorServer, status: int
) -> None:
    shop_id = store_shop(conn, server)
    _schedule(conn, shop_id)
    add_fault(server, "http_status", params={"status": status})
    failed = _job(conn, shop_id, JobTrigger.SCHEDULED)
    run_job(database_url, failed)
    assert job_of(conn, failed).status is JobStatus.FAILED
    schedule = schedules.get_schedule(conn, shop_id)
    assert schedule is not None and schedule.paused
    assert schedule.pause_cause is PauseCause.SHOP_UNAVAILABLE
    assert schedule.paused_reason is not None and str(status) in schedule.paused_reason
    assert schedule.paused_at is not None

    scheduled = _job(conn, shop_id, JobTrigger.SCHEDULED)  # e.g. started before the pause
    run_job(database_url, scheduled)
    assert job_of(conn, scheduled).status is JobStatus.COMPLETED
    still = schedules.get_schedule(conn, shop_id)
    assert still is not None and still.paused  # only a manual sync proves the shop is back

    manual = _job(conn, shop_id, JobTrigger.MANUAL)
    run_job(database_url, manual)
    assert job_of(conn, manual).status is JobStatus.COMPLETED
    resumed = schedules.get_schedule(conn, shop_id)
    assert resumed is not None and not resumed.paused
    assert resumed.pause_cause is None and resumed.paused_reason is None


def test_an_admins_pause_is_kept_by_failures_and_by_completed_syncs(
    database_url: str, conn: psycopg.Connection[Any], server: SimulatorServer
) -> None:
    shop_id = store_shop(conn, server)
    _schedule(conn, shop_id, paused=True)
    add_fault(server, "http_status", params={"status": 402})
    failed = _job(conn, shop_id, JobTrigger.MANUAL)
    run_job(database_url, failed)
    assert job_of(conn, failed).status is JobStatus.FAILED
    manual = _job(conn, shop_id, JobTrigger.MANUAL)
    run_job(database_url, manual)
    assert job_of(conn, manual).status is JobStatus.COMPLETED
    schedule = schedules.get_schedule(conn, shop_id)
    assert schedule is not None and schedule.paused
    assert schedule.pause_cause is PauseCause.ADMIN


def test_a_shop_without_a_schedule_fails_as_before(
    database_url: str, conn: psycopg.Connection[Any], server: SimulatorServer
) -> None:
    shop_id = store_shop(conn, server)
    add_fault(server, "http_status", params={"status": 423})
    failed = _job(conn, shop_id, JobTrigger.MANUAL)
    run_job(database_url, failed)
    job = job_of(conn, failed)
    assert job.status is JobStatus.FAILED and job.error is not None and "423" in job.error
    assert schedules.get_schedule(conn, shop_id) is None
