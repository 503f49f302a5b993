"""Merge the staged batch into orders, decisions, line items and parked items, set-based.

One statement does it all (see ``merge_batch`` in sql/ingest.sql). A value Postgres cannot parse
or cast makes it fail: then a per-line diagnosis dead-letters the guilty lines and the merge runs
again without them. A line item of a just-inserted order that already exists (the plain INSERT's
assumption broken) makes it run again with every line item upserted.
"""

from __future__ import annotations

from typing import Any

import psycopg

from bulk.ingest_stats import IngestStats
from bulk.types import SyncMode
from schema.sqlfile import load_queries

_Q = load_queries("bulk", "sql/ingest.sql")


def merge_batch(
    conn: psycopg.Connection[Any],
    cur: psycopg.Cursor[Any],
    *,
    job_id: int,
    shop_id: int,
    mode: SyncMode,
    line_items: int,
) -> IngestStats:
    """Merge pg_temp.ingest_batch (holding ``line_items`` line items) into the job's tables,
    inside the caller's transaction; lines set aside count as ``failed_lines``."""
    params = {"job_id": job_id, "shop_id": shop_id, "mode": mode.value, "trust_fresh": True}
    stats = IngestStats()
    while True:
        try:
            with conn.transaction():
                row = cur.execute(_Q["merge_batch"], params).fetchone()
            break
        except psycopg.errors.UniqueViolation:
            if not params["trust_fresh"]:
                raise
            params["trust_fresh"] = False  # a line item of a new order existed: upsert them all
        except psycopg.errors.DataError:
            found = _ints(cur.execute(_Q["set_aside_problems"], params).fetchone())
            if not sum(found):
                raise
            stats.failed_lines += sum(found)
            line_items -= found[1]
    created, updated, unchanged, skipped, written, parked, resolved = _ints(row)
    stats.orders_created = created
    stats.orders_updated = updated
    stats.orders_unchanged = unchanged
    stats.orders_skipped = skipped
    stats.line_items_written = written
    stats.line_items_skipped = line_items + resolved - written - parked
    return stats


def _ints(row: tuple[Any, ...] | None) -> tuple[int, ...]:
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return tuple(int(value or 0) for value in row)
