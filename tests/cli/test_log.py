"""What the processes really print: ``configure_logging`` output read back from stderr."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import structlog
from click.testing import CliRunner

from bulk.shops import upsert_shop
from bulk.types import JobStatus
from cli.log import configure_logging
from cli.main import cli
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    SHOP,
    fast_worker_settings,
    job_of,
    new_job,
    run_job,
    sim_config,
    store_shop,
)
from tests.support.token_keys import PRODUCTION_KEY, TEST_CIPHER
from workers.broker import build_broker
from workers.main import run_worker
from workers.queue import DramatiqJobQueue

# Emitted by the engine while it works on one job (the step binds the job's context).
JOB_LOGGERS = (
    "bulk.workflow",
    "bulk.lease",
    "bulk.shopify",
    "bulk.download",
    "bulk.ingest",
)


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(20)) as srv:
        yield srv


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def _about_a_job(line: dict[str, Any]) -> bool:
    return str(line["event"]).startswith("job.") or str(line.get("logger", "")).startswith(
        JOB_LOGGERS
    )


@pytest.mark.usefixtures("restore_logging")
def test_production_worker_logs_json_with_job_context_and_a_start_line(
    conn: psycopg.Connection[Any],
    database_url: str,
    redis_url: str,
    server: SimulatorServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    shop_id = store_shop(conn, server)
    job_id = new_job(conn, shop_id)
    queue_name = f"shopsync_test_{uuid.uuid4().hex[:10]}"
    settings = fast_worker_settings(database_url, broker_url=redis_url, queue_name=queue_name)
    configure_logging("INFO", environment="production")  # no json flag
    capfd.readouterr()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(settings,), kwargs={"threads": 2, "stop": stop}
    )
    thread.start()
    enqueuer = build_broker(redis_url)
    try:
        DramatiqJobQueue(enqueuer, queue_name).enqueue(job_id)
        for _ in range(600):
            if not job_of(conn, job_id).status.is_active:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(30)
        enqueuer.flush(queue_name)
        enqueuer.close()
    assert job_of(conn, job_id).status is JobStatus.COMPLETED
    lines = _json_lines(capfd.readouterr().err)

    started = [line for line in lines if line["event"] == "worker.started"]
    assert len(started) == 1, lines
    assert started[0]["broker"] == "redis" and started[0]["queue"] == queue_name
    assert started[0]["threads"] == 2
    assert redis_url not in json.dumps(started[0])  # host and port only, never the URL

    job_lines = [line for line in lines if _about_a_job(line)]
    events = {line["event"] for line in job_lines}
    assert {"job.submitted", "job.completed"} <= events, events
    for line in job_lines:
        assert (line.get("job_id"), line.get("shop_id")) == (job_id, shop_id), line


@pytest.mark.usefixtures("restore_logging")
def test_a_failed_job_logs_a_warning_with_its_context_as_key_value_text(
    conn: psycopg.Connection[Any],
    database_url: str,
    server: SimulatorServer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    shop, _ = upsert_shop(
        conn,
        domain=SHOP,
        access_token="shpat_not0the0shops0token",
        api_version="2026-04",
        admin_url=server.base_url,
        cipher=TEST_CIPHER,
    )
    job_id = new_job(conn, shop.id)
    configure_logging("INFO", environment="development")
    capfd.readouterr()
    run_job(database_url, job_id, cipher=TEST_CIPHER)
    # Bound for each step only: what the thread logs next is not about this job.
    assert structlog.contextvars.get_contextvars() == {}
    assert job_of(conn, job_id).status is JobStatus.FAILED
    output = capfd.readouterr().err
    with pytest.raises(ValueError):
        json.loads(output.splitlines()[0])  # development: text, not JSON
    failed = [line for line in output.splitlines() if "job.failed" in line]
    assert len(failed) == 1, output
    assert "warning" in failed[0]
    assert f"job_id={job_id}" in failed[0] and f"shop_id={shop.id}" in failed[0]
    assert "error=" in failed[0] and "not0the0shops0token" not in output


@pytest.mark.parametrize("environment", ["production", "development"])
@pytest.mark.usefixtures("restore_logging")
def test_the_command_line_logs_json_in_production_without_a_flag(
    database_url: str, environment: str
) -> None:
    env = {"DATABASE_URL": database_url, "ENVIRONMENT": environment}
    if environment == "production":
        env["SHOP_TOKEN_KEYS"] = PRODUCTION_KEY
    result = CliRunner().invoke(cli, ["token", "create", "--tenant", "acme"], env=env)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stderr.splitlines() if "token.created" in line]
    if environment == "production":
        assert json.loads(line)["event"] == "token.created"
        assert json.loads(line)["role"] == "admin"
    else:
        with pytest.raises(ValueError):
            json.loads(line)
        assert "role=admin" in line
