"""Merge the staged lines into orders, line items, decisions and parked items, set-based.

Shape problems (not an object, bad id, orphan-less line item...) are found by one query before
the merge; values that cannot be cast are found only when the optimistic merge fails on one, by a
per-row diagnosis, after which the merge runs again without the guilty lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bulk.ingest_stage import BadLine
from bulk.ingest_stats import IngestStats
from bulk.types import SyncMode
from schema.sqlfile import load_queries

_Q = load_queries("bulk", "sql/ingest.sql")

# Maps a staged line number to (byte offset, text) for a dead letter.
LineLookup = Callable[[list[int]], dict[int, tuple[int | None, str]]]


@dataclass
class MergeOutcome:
    """What merging one batch did."""

    stats: IngestStats = field(default_factory=IngestStats)
    bad_lines: list[BadLine] = field(default_factory=list)
    parked: int = 0


def merge_stage(
    conn: psycopg.Connection[Any],
    cur: psycopg.Cursor[Any],
    *,
    job_id: int,
    shop_id: int,
    mode: SyncMode,
    lookup: LineLookup,
) -> MergeOutcome:
    """Merge pg_temp.ingest_stage into the job's tables (inside the caller's transaction)."""
    outcome = MergeOutcome()
    params = {"job_id": job_id, "shop_id": shop_id, "mode": mode.value}
    line_items = _survey(cur, lookup, outcome)
    try:
        with conn.transaction():
            _merge(cur, params, line_items, outcome)
    except psycopg.errors.DataError:
        cur.execute(_Q["stage_cast_problems"])
        problems = [(int(row[0]), str(row[1])) for row in cur.fetchall()]
        if not problems:
            raise
        _set_aside(cur, problems, lookup, outcome)
        line_items = _survey(cur, lookup, outcome)
        with conn.transaction():
            _merge(cur, params, line_items, outcome)
    outcome.bad_lines.sort(key=lambda line: line.line_number)
    return outcome


def _survey(cur: psycopg.Cursor[Any], lookup: LineLookup, outcome: MergeOutcome) -> int:
    """Set aside lines of the wrong shape, drop repeated ids; return the line items staged."""
    cur.execute(_Q["stage_problems"])
    problems: list[tuple[int, str]] = []
    repeated = False
    line_items = 0
    for reason, lines, distinct, numbers in cur.fetchall():
        if reason in ("order", "line item"):
            repeated = repeated or lines != distinct
            if reason == "line item":
                line_items = int(distinct)
        else:
            problems.extend((int(number), str(reason)) for number in numbers)
    problems.sort()
    _set_aside(cur, problems, lookup, outcome)
    if repeated:
        cur.execute(_Q["analyze_stage"])
        cur.execute(_Q["dedupe_stage"])
    return line_items


def _merge(
    cur: psycopg.Cursor[Any], params: dict[str, Any], line_items: int, outcome: MergeOutcome
) -> None:
    stats = outcome.stats
    cur.execute(_Q["write_orders"], params)
    cur.execute(_Q["decide_orders"], params)
    created, updated, unchanged, skipped = _ints(cur.fetchone())
    cur.execute(_Q["pending_exists"], params)
    if _ints(cur.fetchone())[0]:
        cur.execute(_Q["move_resolved_to_stage"], params)
        line_items += cur.rowcount
    cur.execute(_Q["write_line_items"], params)
    written = cur.rowcount
    cur.execute(_Q["park_line_items"], params)
    parked = cur.rowcount
    stats.orders_created += created
    stats.orders_updated += updated
    stats.orders_unchanged += unchanged
    stats.orders_skipped += skipped
    stats.line_items_written += written
    stats.line_items_skipped += line_items - written - parked
    outcome.parked += parked


def _set_aside(
    cur: psycopg.Cursor[Any],
    problems: list[tuple[int, str]],
    lookup: LineLookup,
    outcome: MergeOutcome,
) -> None:
    if not problems:
        return
    numbers = [number for number, _reason in problems]
    cur.execute(_Q["delete_stage_lines"], {"line_nos": numbers})
    found = lookup(numbers)
    for number, reason in problems:
        offset, text = found.get(number, (None, ""))
        outcome.bad_lines.append(BadLine(number, offset, reason, text))
    outcome.stats.failed_lines += len(problems)


def _ints(row: tuple[Any, ...] | None) -> tuple[int, ...]:
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return tuple(int(value or 0) for value in row)
