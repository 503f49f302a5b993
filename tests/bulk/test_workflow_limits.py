"""Bounded polling: an operation stuck in one status past its limit is cancelled, the job FAILED."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.settings import EngineSettings
from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    add_fault,
    job_of,
    new_job,
    run_job,
    sim_config,
    sim_operations,
    store_shop,
)


def test_stuck_in_created_is_cancelled_and_the_job_fails_readably(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(10)) as server:
        add_fault(server, "stuck_created")
        job_id = new_job(conn, store_shop(conn, server))
        run_job(database_url, job_id, settings={"bulk_created_limit_s": 0.3})
        job = job_of(conn, job_id)
        assert job.status is JobStatus.FAILED and job.finished_at is not None
        assert job.error is not None
        assert job.error.startswith("the bulk operation stayed CREATED for "), job.error
        assert "(limit 0.30s); asked Shopify to cancel it" in job.error
        (op,) = sim_operations(server)
        assert op["status"] in ("CANCELING", "CANCELED")  # asked to cancel
        assert job.bulk_attempts == 1  # failed, not resubmitted


def test_running_too_long_is_cancelled_and_the_job_fails_readably(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(10, run_seconds=60.0)) as server:
        job_id = new_job(conn, store_shop(conn, server))
        run_job(database_url, job_id, settings={"bulk_running_limit_s": 0.3})
        job = job_of(conn, job_id)
        assert job.status is JobStatus.FAILED and job.error is not None
        assert "RUNNING" in job.error and "cancel" in job.error, job.error
        (op,) = sim_operations(server)
        assert op["status"] in ("CANCELING", "CANCELED")


def test_the_limits_default_to_an_hour_ten_days_and_an_hour() -> None:
    settings = EngineSettings()
    assert settings.bulk_created_limit_s == 3600
    assert settings.bulk_running_limit_s == 10 * 24 * 3600
    assert settings.bulk_canceling_limit_s == 3600
    with pytest.raises(ValueError):
        EngineSettings(bulk_running_limit_s=0)


def test_stuck_in_canceling_fails_the_job_readably(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    with SimulatorServer(sim_config(10)) as server:
        add_fault(server, "stuck_canceling")
        job_id = new_job(conn, store_shop(conn, server))
        run_job(database_url, job_id, settings={"bulk_canceling_limit_s": 0.3})
        job = job_of(conn, job_id)
        assert job.status is JobStatus.FAILED and job.error is not None
        assert job.error.startswith("the bulk operation stayed CANCELING for "), job.error
        assert job.error.endswith("(limit 0.30s); it was already being cancelled")
