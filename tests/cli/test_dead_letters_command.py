"""``shopsync dead-letters list|retry`` against a real database after a real ingest."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from bulk import jobs, shops
from bulk.ingest import Checkpoint, Ingestor
from bulk.jobs import JobRequest
from bulk.types import SyncMode
from cli.main import cli
from tests.support.token_keys import TEST_CIPHER

Conn = psycopg.Connection[Any]

LONG_NAME = "x" * 200
EXPORT = b"".join(
    line + b"\n"
    for line in (
        json.dumps({
            "id": "gid://shopify/Order/1",
            "name": LONG_NAME,
            "createdAt": "2025-12-01T10:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
        }).encode(),
        json.dumps({
            "id": "gid://shopify/LineItem/11",
            "quantity": 1,
            "__parentId": "gid://shopify/Order/9",
        }).encode(),
        b'{"id": "gid://shopify/Order/3", "name": ',
    )
)  # fmt: skip


def _job_with_dead_letters(conn: Conn, *, status: str = "COMPLETED") -> int:
    """A FULL job that ingested EXPORT: an orphan (line 2) and bad JSON (line 3)."""
    shop, _new = shops.upsert_shop(
        conn,
        domain="demo.myshopify.com",
        access_token="shpat_secret_cli",
        api_version="2026-10",
        admin_url="http://127.0.0.1",
        cipher=TEST_CIPHER,
    )
    job = jobs.create_job(conn, JobRequest(shop_id=shop.id, sync_mode=SyncMode.FULL)).job
    ingestor = Ingestor(conn, job_id=job.id, shop_id=shop.id, mode=SyncMode.FULL, operation_id=None)
    ingestor.ingest([EXPORT], start=Checkpoint(0, 0))
    ingestor.finish()
    conn.execute("UPDATE sync_jobs SET status = %s WHERE id = %s", (status, job.id))
    return job.id


def _run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["dead-letters", *args], env={"DATABASE_URL": database_url})


def _failed_lines(conn: Conn, job_id: int) -> int:
    job = jobs.get_job(conn, job_id)
    assert job is not None
    return job.stats.failed_lines


def test_list_prints_a_table_with_the_line_text_cut_short(database_url: str, conn: Conn) -> None:
    job_id = _job_with_dead_letters(conn)
    # Order 1's line goes in; make it a dead letter too, for a long line to show.
    conn.execute(
        "INSERT INTO dead_letters (job_id, shop_id, line_number, byte_offset, reason, line)"
        " SELECT %s, shop_id, 1, 0, 'by hand', %s FROM sync_jobs WHERE id = %s",
        (job_id, EXPORT.split(b"\n")[0].decode(), job_id),
    )

    result = _run(database_url, "list", str(job_id))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"sync job {job_id} (COMPLETED), open dead letters in file order:"
    assert lines[1].split() == ["LINE", "OFFSET", "REASON", "TEXT"]
    assert lines[2].split()[:4] == ["1", "0", "by", "hand"]
    assert lines[2].endswith("…") and LONG_NAME not in result.output
    assert "parent order gid://shopify/Order/9 not in the export" in lines[3]
    offset = len(EXPORT.split(b"\n")[0]) + 1
    assert lines[3].split()[:2] == ["2", str(offset)]
    assert lines[4].split()[0] == "3" and "invalid JSON" in lines[4]
    assert "shpat_secret_cli" not in result.output

    limited = _run(database_url, "list", str(job_id), "--limit", "2")
    assert limited.exit_code == 0, limited.output
    assert len(limited.stdout.splitlines()) == 5
    assert limited.stdout.splitlines()[-1] == "(the first 2 only; raise --limit for more)"


def test_retry_after_the_order_arrives_then_list_all(database_url: str, conn: Conn) -> None:
    job_id = _job_with_dead_letters(conn)
    assert _failed_lines(conn, job_id) == 2
    # Order 9 arrives for this job (more of the file), so its orphaned line item can go in.
    order_9 = json.dumps({
        "id": "gid://shopify/Order/9",
        "createdAt": "2025-12-01T10:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    }).encode() + b"\n"  # fmt: skip
    job = jobs.get_job(conn, job_id)
    assert job is not None
    ingestor = Ingestor(
        conn, job_id=job_id, shop_id=job.shop_id, mode=SyncMode.FULL, operation_id=None
    )
    # Only an active job takes batches (a finished one is fenced): ingest while it runs.
    conn.execute("UPDATE sync_jobs SET status = 'RUNNING' WHERE id = %s", (job_id,))
    ingestor.ingest([order_9], start=Checkpoint(3, len(EXPORT)))
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED' WHERE id = %s", (job_id,))

    result = _run(database_url, "retry", str(job_id))

    assert result.exit_code == 0, result.output
    # stdout only: the use case's log line goes to stderr.
    assert result.stdout.strip() == "retried 2, resolved 1, still failing 1"
    assert _failed_lines(conn, job_id) == 1
    open_only = _run(database_url, "list", str(job_id))
    assert "invalid JSON" in open_only.output and "Order/9" not in open_only.output
    everything = _run(database_url, "list", str(job_id), "--all")
    lines = everything.stdout.splitlines()
    assert lines[0] == f"sync job {job_id} (COMPLETED), dead letters in file order:"
    assert lines[1].split() == ["LINE", "OFFSET", "STATE", "REASON", "TEXT"]
    assert lines[2].split()[2] == "resolved" and lines[3].split()[2] == "open"


@pytest.mark.parametrize("status", ["QUEUED", "RUNNING"])
def test_retry_refuses_an_active_job(database_url: str, conn: Conn, status: str) -> None:
    job_id = _job_with_dead_letters(conn, status=status)

    result = _run(database_url, "retry", str(job_id))

    assert result.exit_code == 1
    assert f"sync job {job_id} is still {status}; retry its dead letters once it" in result.output
    assert conn.execute(
        "SELECT count(*) FROM dead_letters WHERE retried_at IS NOT NULL"
    ).fetchone() == (0,)


def test_unknown_job(database_url: str) -> None:
    for command in ("list", "retry"):
        result = _run(database_url, command, "4242")
        assert result.exit_code == 1
        assert "Error: no sync job with id 4242" in result.output
    bad = _run(database_url, "list", "abc")
    assert bad.exit_code == 2 and "'abc' is not a valid integer" in bad.output


def test_a_job_without_dead_letters(database_url: str, conn: Conn) -> None:
    shop, _new = shops.upsert_shop(
        conn, domain="calm.myshopify.com", access_token="t", api_version="2026-10",
        admin_url="http://127.0.0.1",
        cipher=TEST_CIPHER,
    )  # fmt: skip
    job = jobs.create_job(conn, JobRequest(shop_id=shop.id)).job
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED' WHERE id = %s", (job.id,))
    listed = _run(database_url, "list", str(job.id))
    assert listed.stdout.strip() == f"sync job {job.id} (COMPLETED) has no open dead letters"
    retried = _run(database_url, "retry", str(job.id))
    assert retried.stdout.strip() == "retried 0, resolved 0, still failing 0"


def test_a_line_a_later_job_overtook_is_listed_as_superseded(database_url: str, conn: Conn) -> None:
    job_id = _job_with_dead_letters(conn)
    shop_id = jobs.get_job(conn, job_id).shop_id  # type: ignore[union-attr]
    later = jobs.create_job(conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.FULL)).job
    newer = b'{"id": "gid://shopify/Order/3", "updatedAt": "2026-06-01T00:00:00Z"}\n'
    ingestor = Ingestor(conn, job_id=later.id, shop_id=shop_id, mode=SyncMode.FULL,
                        operation_id=None)  # fmt: skip
    ingestor.ingest([newer], start=Checkpoint(0, 0))
    fixed = '{"id": "gid://shopify/Order/3", "updatedAt": "2026-01-01T00:00:00Z"}'
    conn.execute("UPDATE dead_letters SET line = %s WHERE job_id = %s AND line_number = 3",
                 (fixed, job_id))  # fmt: skip
    assert _run(database_url, "retry", str(job_id)).exit_code == 0
    lines = _run(database_url, "list", str(job_id), "--all").stdout.splitlines()
    states = {line.split()[0]: line.split()[2] for line in lines[2:]}
    assert states == {"2": "open", "3": "superseded"}
    row = conn.execute("SELECT updated_at::text FROM orders WHERE id = 'gid://shopify/Order/3'")
    assert row.fetchone() == ("2026-06-01 00:00:00+00",)
