"""Cancel is a fence: once a job is CANCELLED or FAILED, a slice still in flight commits nothing.

The damage this guards against: an UPDATE job is cancelled while its worker is mid-file; the next
job writes newer data; the cancelled job's remaining batches then overwrite that job's newer line
items, and its end-of-file cleanup deletes the line items it never listed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from bulk.errors import LeaseLost
from bulk.ingest import Checkpoint, Ingestor
from bulk.types import SyncMode
from bulk.workflow import cancel_job
from tests.support.ingest import item, jsonl, make_shop, order
from tests.support.token_keys import TEST_CIPHER

Conn = psycopg.Connection[Any]

OLD = "2026-01-01T00:00:00Z"
NEW = "2026-02-01T00:00:00Z"


def _job(conn: Conn, shop_id: int, mode: SyncMode, operation_id: str, lease: uuid.UUID) -> int:
    row = conn.execute(
        "INSERT INTO sync_jobs (shop_id, sync_mode, status, stale_after_mins, bulk_operation_id,"
        " lease_token) VALUES (%s, %s, 'RUNNING', 60, %s, %s) RETURNING id",
        (shop_id, mode.value, operation_id, lease),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _ingestor(
    conn: Conn, job_id: int, shop_id: int, mode: SyncMode, op: str, lease: uuid.UUID
) -> Ingestor:
    return Ingestor(
        conn,
        job_id=job_id,
        shop_id=shop_id,
        mode=mode,
        operation_id=op,
        lease_token=lease,
        batch_bytes=1,  # one line per batch: the cancel lands between two commits
    )


def _wait_checkpoint(conn: Conn, job_id: int, byte: int) -> None:
    for _ in range(500):
        row = conn.execute("SELECT checkpoint_byte FROM sync_jobs WHERE id = %s", (job_id,))
        value = row.fetchone()
        if value is not None and int(value[0]) >= byte:
            return
        time.sleep(0.01)
    raise AssertionError("the first batch never committed")


def _line_items(conn: Conn, shop_id: int) -> dict[str, int]:
    rows = conn.execute(
        "SELECT id, quantity FROM line_items WHERE shop_id = %s ORDER BY id", (shop_id,)
    ).fetchall()
    return {str(r[0]).rsplit("/", 1)[-1]: int(r[1]) for r in rows}


def _cancelled_mid_file(
    database_url: str, conn: Conn, *, end: Callable[[Conn, int], None]
) -> tuple[int, int, int, int]:
    """Job A (UPDATE) has committed order 1 when ``end`` ends it and job B (FULL) writes a newer
    order 1 (line item 101 changed, 102 removed, 103 new); then A's slice goes on with 101, 102."""
    shop = make_shop(conn)
    lease_a = uuid.uuid4()
    job_a = _job(conn, shop, SyncMode.UPDATE, "gid://shopify/BulkOperation/1", lease_a)
    first = jsonl([order(1, OLD)])
    rest = jsonl([item(101, 1), item(102, 1)])
    newer = jsonl([order(1, NEW), item(101, 1, quantity=5), item(103, 1, quantity=7)])

    def chunks() -> Iterator[bytes]:
        yield first
        with psycopg.connect(database_url, autocommit=True) as other:
            _wait_checkpoint(other, job_a, len(first))
            end(other, job_a)
            lease_b = uuid.uuid4()
            op_b = "gid://shopify/BulkOperation/2"
            job_b = _job(other, shop, SyncMode.FULL, op_b, lease_b)
            ingest_b = _ingestor(other, job_b, shop, SyncMode.FULL, op_b, lease_b)
            assert ingest_b.ingest([newer], start=Checkpoint(0, 0)).eof
            ingest_b.finish()
            other.execute("UPDATE sync_jobs SET status = 'COMPLETED' WHERE id = %s", (job_b,))
        yield rest

    op_a = "gid://shopify/BulkOperation/1"
    ingest_a = _ingestor(conn, job_a, shop, SyncMode.UPDATE, op_a, lease_a)
    refused = []
    for step in (lambda: ingest_a.ingest(chunks(), start=Checkpoint(0, 0)), ingest_a.finish):
        try:
            step()
        except LeaseLost:
            refused.append(step)
    return shop, job_a, len(first), len(refused)


def _cancel(conn: Conn, job_id: int) -> None:
    assert cancel_job(
        conn, job_id, TEST_CIPHER
    )  # no operation status to cancel at Shopify: DB only


def _fail(conn: Conn, job_id: int) -> None:
    conn.execute(
        "UPDATE sync_jobs SET status = 'FAILED', error = 'x', finished_at = now() WHERE id = %s",
        (job_id,),
    )


@pytest.mark.parametrize("end", [_cancel, _fail], ids=["cancelled", "failed"])
def test_a_slice_in_flight_commits_nothing_after_the_job_ended(
    database_url: str, conn: Conn, end: Callable[[Conn, int], None]
) -> None:
    shop, job_a, first_bytes, refused = _cancelled_mid_file(database_url, conn, end=end)
    # The newer job's line items stand: 101 as it wrote it, 103 kept, 102 not brought back.
    assert _line_items(conn, shop) == {"101": 5, "103": 7}
    row = conn.execute(
        "SELECT checkpoint_byte, lines_read, line_items_written, line_items_deleted"
        " FROM sync_jobs WHERE id = %s",
        (job_a,),
    ).fetchone()
    assert row == (first_bytes, 1, 0, 0)  # nothing committed after the end
    assert refused == 2  # the slice's next batch and its end-of-file step both see the fence
