"""Load a batch of lines into the session's staging table, setting bad lines aside.

The fast path COPYs the batch's bytes untouched (CSV with delimiter and quote characters that no
valid JSON line contains raw), numbering lines with a sequence; Postgres parses every line as
jsonb. If it rejects anything, the batch is staged again line by line: invalid UTF-8 and lines
ijson cannot parse become bad lines, the rest are COPYed row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ijson
import psycopg

from bulk.lines import LineBatch
from schema.sqlfile import load_queries

_Q = load_queries("bulk", "sql/ingest.sql")


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that cannot be ingested, and why."""

    line_number: int
    byte_offset: int | None
    reason: str
    line: str


class _StagingMismatch(Exception):
    """The fast COPY staged a different number of rows than the batch has lines."""


def line_text(content: bytes) -> str:
    """A line's text for a dead letter: undecodable bytes and NULs kept visible, not dropped."""
    return content.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def prepare_stage(cur: psycopg.Cursor[Any]) -> None:
    """Create the staging table of this session if it does not exist yet (inside a transaction)."""
    cur.execute(_Q["create_stage_sequence"])
    cur.execute(_Q["create_stage"])
    cur.execute(_Q["create_written"])


def stage_batch(
    conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], batch: LineBatch
) -> list[BadLine]:
    """Stage every line of ``batch`` that Postgres accepts as jsonb; return the others."""
    if b"\r" not in batch.data:
        try:
            with conn.transaction():
                cur.execute(_Q["number_stage_from"], {"first_line": batch.first_line})
                with cur.copy(_Q["copy_stage_fast"]) as copy:
                    copy.write(batch.data)
                if cur.rowcount != batch.line_count:
                    raise _StagingMismatch
            return []
        except (psycopg.errors.DataError, _StagingMismatch):
            pass  # rolled back to the savepoint: stage line by line below
    return stage_lines(conn, cur, batch.lines())


def stage_lines(
    conn: psycopg.Connection[Any],
    cur: psycopg.Cursor[Any],
    lines: Iterable[tuple[int, int | None, bytes]],
) -> list[BadLine]:
    """Stage ``(line_number, byte_offset, content)`` lines one row each; return the bad ones."""
    bad: list[BadLine] = []
    good: list[tuple[int, int | None, str]] = []
    for number, offset, content in lines:
        reason = _parse_problem(content)
        if reason is None:
            good.append((number, offset, content.decode("utf-8")))
        else:
            bad.append(BadLine(number, offset, reason, line_text(content)))
    try:
        with conn.transaction(), cur.copy(_Q["copy_stage_rows"]) as copy:
            for number, _offset, text in good:
                copy.write_row((number, text))
    except psycopg.errors.DataError:
        # Something ijson accepts but jsonb does not (e.g. \u0000): find it row by row.
        for number, offset, text in good:
            try:
                with conn.transaction():
                    cur.execute(_Q["insert_stage_row"], {"line_no": number, "doc": text})
            except psycopg.errors.DataError as exc:
                reason = f"invalid JSON for Postgres: {exc.diag.message_primary or exc}"
                bad.append(BadLine(number, offset, reason, line_text(text.encode())))
    bad.sort(key=lambda line: line.line_number)
    return bad


def _parse_problem(content: bytes) -> str | None:
    """Why ``content`` is not one JSON value in UTF-8, or None if it is."""
    if not content.strip():
        return "empty line"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    try:
        for _value in ijson.items(content, ""):
            pass
    except ijson.JSONError as exc:
        return "invalid JSON: " + " ".join(str(exc).split())[:200]
    return None
