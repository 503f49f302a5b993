"""The scheduler's checkpoint TTL: finished jobs' checkpoints older than the TTL are cleared and
the jobs say so; with an injected clock, then in a real ``shopsync scheduler`` process."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from cli.processes import ManagedProcess, ProcessGroup
from tests.support.api import RecordingQueue
from tests.support.shopify_sim import open_pool
from workers.scheduler.checkpoint_ttl import ExpireCheckpoints, expiry_reason

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WEEK = 7 * 24 * 3600.0


def _shop(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "INSERT INTO shops (domain, access_token, api_version, admin_url)"
        " VALUES ('ttl.myshopify.com', 'x', '2026-10', 'https://ttl.myshopify.com') RETURNING id"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _job(
    conn: psycopg.Connection[Any],
    shop_id: int,
    checkpoint_at: datetime | None,
    *,
    status: str = "COMPLETED",
    checkpoint_byte: int = 4096,
    finished_at: datetime | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO sync_jobs (shop_id, sync_mode, status, bulk_operation_id, bulk_status,"
        " checkpoint_line, checkpoint_byte, checkpoint_at, finished_at, lines_read)"
        " VALUES (%s, 'FULL', %s, 'gid://shopify/BulkOperation/1', 'COMPLETED', 10, %s, %s, %s,"
        " 10) RETURNING id",
        (shop_id, status, checkpoint_byte, checkpoint_at, finished_at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _row(conn: psycopg.Connection[Any], job_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT status, checkpoint_line, checkpoint_byte, bulk_operation_id, lines_read,"
            " checkpoint_cleared_at, checkpoint_cleared_reason FROM sync_jobs WHERE id = %s",
            (job_id,),
        ).fetchone()
    assert row is not None
    return row


def test_the_reason_names_the_ttl() -> None:
    assert expiry_reason(WEEK) == "expired after 7 days"
    assert expiry_reason(86_400) == "expired after 1 day"
    assert expiry_reason(1.5) == "expired after 1.5 s"


def test_finished_checkpoints_older_than_the_ttl_are_cleared_and_say_so(
    conn: psycopg.Connection[Any], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    shop = _shop(conn)
    old = [_job(conn, shop, T0 + timedelta(minutes=n)) for n in range(5)]
    failed = _job(conn, shop, None, status="FAILED", finished_at=T0)  # by its finish time
    young = _job(conn, shop, T0 + timedelta(days=1))
    active = _job(conn, shop, T0, status="RUNNING")
    now = [T0 + timedelta(seconds=WEEK) - timedelta(seconds=1)]
    with open_pool(database_url) as pool:
        expire = ExpireCheckpoints(
            pool, RecordingQueue(), ttl_s=WEEK, batch_size=2, clock=lambda: now[0]
        )
        assert list(expire()) == []  # one second short of the TTL: nothing yet

        now[0] = T0 + timedelta(seconds=WEEK, minutes=10)
        with caplog.at_level(logging.INFO):
            expired = expire()  # three batches of two and less
        assert sorted(e.job_id for e in expired) == sorted([*old, failed])
        assert {e.shop_id for e in expired} == {shop}
        assert list(expire()) == []  # nothing twice

    for job_id in [*old, failed]:
        row = _row(conn, job_id)
        assert (row["checkpoint_line"], row["checkpoint_byte"], row["bulk_operation_id"]) == (
            0,
            0,
            None,
        )
        assert row["checkpoint_cleared_reason"] == "expired after 7 days"
        assert row["checkpoint_cleared_at"] is not None and row["lines_read"] == 10
    for job_id in (young, active):
        row = _row(conn, job_id)
        assert row["checkpoint_byte"] == 4096 and row["checkpoint_cleared_at"] is None
    logged = [r.msg for r in caplog.records if "checkpoint.expired" in str(r.msg)]
    assert len(logged) == 6
    assert all(isinstance(m, dict) and m["shop_id"] == shop for m in logged)
    assert sorted(m["job_id"] for m in logged if isinstance(m, dict)) == sorted([*old, failed])


@pytest.mark.slow
def test_a_scheduler_process_clears_an_expired_checkpoint(
    conn: psycopg.Connection[Any], database_url: str, redis_url: str, tmp_path: Path
) -> None:
    shop = _shop(conn)
    expiring = _job(conn, shop, datetime.now(UTC))
    env = {
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": f"ttl-{uuid.uuid4().hex[:8]}",
        "CHECKPOINT_TTL_S": "1",
        "CHECKPOINT_TTL_INTERVAL_S": "0.2",
    }
    with ProcessGroup() as group:
        scheduler = group.start(
            ManagedProcess("scheduler", ["scheduler"], env=env, log_dir=tmp_path)
        )
        deadline = time.monotonic() + 30
        while _row(conn, expiring)["checkpoint_cleared_at"] is None:
            scheduler.check_alive()
            assert time.monotonic() < deadline, scheduler.log_tail()
            time.sleep(0.1)
        scheduler.stop()
    row = _row(conn, expiring)
    assert row["checkpoint_byte"] == 0 and row["checkpoint_cleared_reason"] == "expired after 1 s"
    log = scheduler.log_path.read_text(encoding="utf-8")
    assert "expire_checkpoints" in log  # registered with the scheduler's tasks
    [line] = [line for line in log.splitlines() if "checkpoint.expired" in line]
    assert f"job_id={expiring}" in line and f"shop_id={shop}" in line, line
