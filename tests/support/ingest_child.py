"""A child process that ingests a test job's file from its checkpoint with two merge
connections, for tests that SIGKILL it at random moments: ``python -m tests.support.ingest_child
DATABASE_URL FILE JOB_ID SHOP_ID BATCH_BYTES``. Exits 0 once the file is read to its end."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

from bulk.ingest import Checkpoint
from bulk.types import SyncMode
from tests.support.ingest import chunked, make_ingestor


def main(database_url: str, path: str, job_id: int, shop_id: int, batch_bytes: int) -> int:
    data = Path(path).read_bytes()
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT checkpoint_line, checkpoint_byte FROM sync_jobs WHERE id = %s", (job_id,)
        ).fetchone()
        assert row is not None
        start = Checkpoint(int(row[0]), int(row[1]))
        ingestor = make_ingestor(conn, job_id, shop_id, SyncMode.FULL, batch_bytes=batch_bytes)
        result = ingestor.ingest(chunked(data[start.byte :], 4096), start=start)
    return 0 if result.eof else 1


if __name__ == "__main__":
    url, file, job, shop, batch = sys.argv[1:6]
    sys.exit(main(url, file, int(job), int(shop), int(batch)))
