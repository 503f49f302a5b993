"""Merge the staged batch into orders, decisions, line items and parked items, set-based.

One statement does it all (see ``merge_batch`` in sql/ingest.sql). A value Postgres cannot parse
or cast, or one over its limits, makes it fail: then a per-line diagnosis sets the guilty lines
aside and the merge runs again without them. A line item of a just-inserted order that already
exists (the plain INSERT's assumption broken) makes it run again with every line item upserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from bulk.ingest_parse import ORDER, BadLine
from bulk.ingest_stats import IngestStats
from bulk.types import SyncMode
from schema.sqlfile import load_queries

_Q = load_queries("bulk", "sql/ingest.sql")


@dataclass
class MergeOutcome:
    """What merging one batch did, and the lines it set aside (counted in ``failed_lines``)."""

    stats: IngestStats = field(default_factory=IngestStats)
    bad: list[BadLine] = field(default_factory=list)


def merge_batch(
    conn: psycopg.Connection[Any],
    cur: psycopg.Cursor[Any],
    *,
    job_id: int,
    shop_id: int,
    mode: SyncMode,
    line_items: int,
    park: bool = True,
) -> MergeOutcome:
    """Merge pg_temp.ingest_batch (holding ``line_items`` line items) into the job's tables,
    inside the caller's transaction. Without ``park`` (a dead-letter retry), undecided line
    items stay staged, and line items go in only while the stored order is still the one the
    job wrote."""
    params = {
        "job_id": job_id,
        "shop_id": shop_id,
        "mode": mode.value,
        "trust_fresh": True,
        "park": park,
    }
    outcome = MergeOutcome()
    while True:
        try:
            with conn.transaction():
                row = cur.execute(_Q["merge_batch"], params).fetchone()
            break
        except psycopg.errors.UniqueViolation:
            if not params["trust_fresh"]:
                raise
            params["trust_fresh"] = False  # a line item of a new order existed: upsert them all
        except (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded):
            found = cur.execute(_Q["set_aside_problems"]).fetchall()
            if not found:
                raise
            for line_no, offset, kind, reason, doc, node_id, parent_id in found:
                outcome.bad.append(
                    BadLine(int(line_no), offset, str(reason), str(doc), node_id, parent_id)
                )
                line_items -= kind != ORDER.decode()
    created, updated, unchanged, skipped, written, parked, revived, dropped, repeats = _ints(row)
    stats = outcome.stats
    stats.orders_created = created
    stats.orders_updated = updated
    stats.orders_unchanged = unchanged
    stats.orders_skipped = skipped
    stats.line_items_written = written
    stats.line_items_skipped = line_items + revived - written - parked
    stats.lines_superseded = dropped + repeats
    stats.failed_lines = len(outcome.bad)
    return outcome


def _ints(row: tuple[Any, ...] | None) -> tuple[int, ...]:
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return tuple(int(value or 0) for value in row)
