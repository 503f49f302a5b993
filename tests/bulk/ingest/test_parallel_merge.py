"""The parallel merge: parts of the orders merged by several connections, each committing its own
position; the job's checkpoint is their smallest, and a resume skips what a part ahead committed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bulk.ingest import Checkpoint, Ingestor
from bulk.ingest.lines import LineBatch
from bulk.ingest.parse import ParsedBatch, parse_batch, part_of
from bulk.types import SyncMode
from tests.support.ingest import (
    assert_identity,
    chunked,
    dead_letters,
    item,
    job_stats,
    jsonl,
    make_ingestor,
    make_job,
    make_shop,
    order,
    table_rows,
)

Conn = psycopg.Connection[Any]

OLD, NEW, NEWER = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"
BATCH_BYTES = 2048


def _export(orders: int = 120) -> bytes:
    """Orders of every kind of history, over many batches: items before their order, a second
    version (newer or older) later in the file with other items, an orphan item, a bad line."""
    docs: list[Any] = [item(n * 100, n) for n in range(1, orders + 1, 7)]  # before their order
    for n in range(1, orders + 1):
        docs.append(order(n, OLD))
        docs.extend(item(n * 100 + k, n, quantity=k + 1) for k in range(1, 3))
    for n in range(1, orders + 1, 3):  # a newer version: one item dropped, one changed
        docs.append(order(n, NEWER if n % 2 else OLD))
        docs.append(item(n * 100 + 1, n, quantity=50))
    docs += [item(999_999, 999_998), b"{not json", order(orders + 1, NEW)]
    return jsonl(docs)


def _final(conn: Conn, job: int) -> tuple[Any, ...]:
    stats = job_stats(conn, job)
    return (
        [r[1:] for r in table_rows(conn, "orders")],
        [r[1:] for r in table_rows(conn, "line_items")],
        stats,
        [r[:3] for r in dead_letters(conn, job)],
    )


def _fresh_job(conn: Conn) -> tuple[int, int]:
    conn.execute("TRUNCATE shops CASCADE")
    shop = make_shop(conn)
    return shop, make_job(conn, shop, SyncMode.FULL)


def _one_pass(conn: Conn, data: bytes, connections: int) -> tuple[Any, ...]:
    shop, job = _fresh_job(conn)
    ingestor = make_ingestor(conn, job, shop, connections=connections, batch_bytes=BATCH_BYTES)
    assert ingestor.ingest(chunked(data, 4096), start=Checkpoint(0, 0)).eof
    ingestor.finish()
    assert_identity(conn, job)
    return _final(conn, job)


def _parts(conn: Conn, job: int) -> list[int] | None:
    row = conn.execute("SELECT ingest_part_bytes FROM sync_jobs WHERE id = %s", (job,)).fetchone()
    assert row is not None
    return None if row[0] is None else [int(b) for b in row[0]]


def test_an_order_and_its_line_items_are_in_one_part() -> None:
    data = _export(40)
    batch = LineBatch(1, 0, data, data.count(b"\n"), at_eof=True)
    parsed = parse_batch(batch, 3)
    assert len(parsed.parts) == 3 and all(part.rows for part in parsed.parts)
    for number, part in enumerate(parsed.parts):
        for row in part.rows.splitlines():
            fields = row.split(b"\t")
            order_id = (fields[3] if fields[2] == b"o" else fields[4]).decode()
            assert part_of(order_id, 3) == number
    single = parse_batch(batch)
    assert sorted(parsed.rows.splitlines()) == sorted(single.rows.splitlines())
    assert (parsed.orders, parsed.line_items) == (single.orders, single.line_items)


def test_one_connection_and_two_give_the_same_rows(conn: Conn) -> None:
    data = _export()
    assert _one_pass(conn, data, 1) == _one_pass(conn, data, 2)


class _LaneDies(Ingestor):
    """Part 0's connection fails from line ``from_line`` on; the other parts go on meanwhile."""

    def __init__(self, *args: Any, from_line: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._from_line = from_line

    def _write_part(
        self,
        conn: Conn,
        batch: LineBatch,
        parsed: ParsedBatch,
        part: int,
        expected: Checkpoint,
    ) -> Any:
        if part == 0 and batch.first_line >= self._from_line:
            time.sleep(0.3)  # part 1 commits the batches in flight meanwhile
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return super()._write_part(conn, batch, parsed, part, expected)


def test_a_part_ahead_skips_what_it_committed_when_the_ingest_resumes(conn: Conn) -> None:
    data = _export()
    expected = _one_pass(conn, data, 2)
    shop, job = _fresh_job(conn)
    extra = psycopg.connect(conn.info.dsn, autocommit=True)
    try:
        dying = _LaneDies(conn, job_id=job, shop_id=shop, mode=SyncMode.FULL,
                          operation_id="gid://shopify/BulkOperation/1", batch_bytes=BATCH_BYTES,
                          merge_conns=[extra], from_line=200)  # fmt: skip
        with pytest.raises(psycopg.OperationalError):
            dying.ingest(chunked(data, 4096), start=Checkpoint(0, 0))
    finally:
        extra.close()
    parts = _parts(conn, job)
    assert parts is not None and parts[1] > parts[0], "part 1 went on past part 0"
    stats = job_stats(conn, job)
    assert stats["checkpoint_byte"] == parts[0] == stats["bytes_read"]
    start = Checkpoint(stats["checkpoint_line"], stats["checkpoint_byte"])
    ingestor = make_ingestor(conn, job, shop, batch_bytes=BATCH_BYTES)
    assert ingestor.ingest(chunked(data[start.byte :], 4096), start=start).eof
    ingestor.finish()
    assert _final(conn, job) == expected
    assert_identity(conn, job)


def test_a_reset_checkpoint_forgets_the_parts(conn: Conn) -> None:
    shop, job = _fresh_job(conn)
    data = _export(30)
    ingestor = make_ingestor(conn, job, shop, batch_bytes=BATCH_BYTES)
    assert ingestor.ingest(chunked(data, 4096), start=Checkpoint(0, 0)).eof
    assert _parts(conn, job) is not None
    conn.execute("UPDATE sync_jobs SET checkpoint_line = 0, checkpoint_byte = 0 WHERE id = %s",
                 (job,))  # fmt: skip
    assert _parts(conn, job) is None
    assert ingestor.ingest(chunked(data, 4096), start=Checkpoint(0, 0)).eof  # from the start
    conn.execute("UPDATE sync_jobs SET bulk_operation_id = 'gid://shopify/BulkOperation/2'"
                 " WHERE id = %s", (job,))  # fmt: skip
    assert _parts(conn, job) is None


@pytest.mark.slow
def test_kills_at_random_moments_with_batches_in_flight(
    database_url: str, conn: Conn, tmp_path: Path
) -> None:
    data = _export(400)
    expected = _one_pass(conn, data, 2)
    shop, job = _fresh_job(conn)
    path = tmp_path / "export.jsonl"
    path.write_bytes(data)
    command = [sys.executable, "-m", "tests.support.ingest_child", database_url, str(path),
               str(job), str(shop), str(BATCH_BYTES)]  # fmt: skip
    rng = random.Random(12)
    kills = diverged = 0
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    for _ in range(80):
        # Killed once its checkpoint passes a random point of the rest of the file, a random
        # instant later: mid-file, with batches in flight, whatever the machine's speed.
        target = job_stats(conn, job)["checkpoint_byte"] + rng.randint(1, len(data) // 12)
        child = subprocess.Popen(command, env=env)
        while child.poll() is None:
            if job_stats(conn, job)["checkpoint_byte"] >= target:
                time.sleep(rng.uniform(0, 0.02))
                child.send_signal(signal.SIGKILL)
                child.wait()
                kills += 1
                parts = _parts(conn, job)
                diverged += parts is not None and len(set(parts)) > 1
                break
            time.sleep(0.002)
        else:
            assert child.returncode == 0
            break
    else:
        raise AssertionError("the ingest never reached the end of the file")
    assert kills >= 5, "the kills must land mid-file"
    assert diverged >= 1, "some kill must find one part ahead of another"
    make_ingestor(conn, job, shop).finish()
    assert _final(conn, job) == expected
    assert_identity(conn, job)
