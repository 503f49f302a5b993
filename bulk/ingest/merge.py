"""Stage a parsed batch with one COPY, then merge it into orders and line items, set-based."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from bulk.order_fields import LINE_ITEM_FIELDS, ORDER_FIELDS, cast_checks
from bulk.sql import queries
from bulk.types import SyncMode

from .parse import ORDER, BadLine
from .stats import IngestStats

# One statement merges (``merge_batch`` in sql/ingest.sql); a value Postgres cannot cast sets its
# lines aside and the merge runs again without them.

_Q = queries("ingest")

# What set_aside_problems tries to cast, per kind of line: the merge's casts, from one list.
_ORDER_CHECKS = cast_checks(ORDER_FIELDS)
_LINE_ITEM_CHECKS = cast_checks(LINE_ITEM_FIELDS)
_CAST_CHECKS = {
    "order_paths": _ORDER_CHECKS[0],
    "order_types": _ORDER_CHECKS[1],
    "line_item_paths": _LINE_ITEM_CHECKS[0],
    "line_item_types": _LINE_ITEM_CHECKS[1],
}


def stage_batch(cur: psycopg.Cursor[Any], rows: bytes) -> None:
    """Load COPY text rows (built by ``parse``) into the session's pg_temp.ingest_batch.

    The rows were escaped for COPY's text format, so COPY has nothing to refuse: text Postgres
    cannot take as jsonb is found by the merge.
    """
    cur.execute(_Q["prepare_batch"])  # the transaction's settings, the table if not yet made
    if rows:
        with cur.copy(_Q["copy_batch"]) as copy:
            copy.write(rows)


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
            found = cur.execute(_Q["set_aside_problems"], _CAST_CHECKS).fetchall()
            if not found:
                raise
            for line_no, offset, kind, reason, doc, node_id, parent_id in found:
                outcome.bad.append(
                    BadLine(int(line_no), offset, str(reason), str(doc), node_id, parent_id)
                )
                line_items -= kind != ORDER.decode()
    created, updated, unchanged, skipped, written, parked, revived, dropped, repeats = _ints(row)
    outcome.stats = IngestStats(
        orders_created=created,
        orders_updated=updated,
        orders_unchanged=unchanged,
        orders_skipped=skipped,
        line_items_written=written,
        line_items_skipped=line_items + revived - written - parked,
        lines_superseded=dropped + repeats,
        failed_lines=len(outcome.bad),
    )
    return outcome


def _ints(row: tuple[Any, ...] | None) -> tuple[int, ...]:
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return tuple(int(value or 0) for value in row)
