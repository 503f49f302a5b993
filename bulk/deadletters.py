"""Dead letters of a job: list them, and retry the open ones through the ingest's merge."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from bulk.errors import InvalidArgument, JobNotFound, JobStillActive
from bulk.ingest import merge_batch, parse_lines, stage_batch
from bulk.sql import queries
from bulk.types import JobStatus, SyncMode

# A retry re-parses each open dead letter's line and merges it exactly as the ingest would, with
# the job's mode and decisions, in one transaction: lines that now go in are resolved (a value an
# operator fixed, a line item whose order has since been decided), the others stay open with
# their current reason. A line item whose order is still undecided is not parked: it stays open.
# Of two open lines of one node the later is merged and the earlier counts as resolved (the
# ingest, too, drops an earlier line of a repeated id).
# A retry never goes back in time: an order line goes in only if newer than the stored order (as
# in the ingest; POPULATE only over an order this job wrote), a line item only while the stored
# order is still the version this job wrote and the line belongs to that version (the nearest
# preceding line of its order, as in the ingest); a line a later job overtook so is resolved as
# ``superseded``, the others that go in as ``ingested``. Once the job's file was read to its end,
# an order whose lines are now all in loses the line items its kept version does not list (the
# end-of-file cleanup, held back while the order had an open dead letter).
# The job's stats change with it. The checkpoint does not move; an advisory lock per job keeps two
# retries of one job apart, and the job row lock orders a retry with the ingest's batch commits.
# With ``finished_only`` a queued or running job is refused (``JobStillActive``), checked under
# that row lock: a job's status never returns to active, so no ingest can start under the retry.

_Q = queries("deadletters")
_INGEST = queries("ingest")

# Class of the per-job advisory lock (the job id is the other half of the key).
_LOCK_CLASS = 0x0DEAD1E7


@dataclass(frozen=True)
class DeadLetter:
    """A line that could not be ingested, where it was, why, and what retries made of it."""

    id: int
    line_number: int | None
    byte_offset: int | None
    reason: str
    line: str  # the whole line, or its first ``line_max_chars`` characters when listed so
    created_at: datetime
    retried_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None  # "ingested" or "superseded" once resolved
    line_length: int  # characters of the whole line


@dataclass(frozen=True)
class LineChunk:
    """A slice of a dead letter's line, by character offset, and the line's full length."""

    text: str
    offset: int
    line_length: int
    job_id: int  # whose line it is, for the caller's scoping


@dataclass(frozen=True)
class RetryResult:
    """How many open dead letters a retry took, how many went in, how many are still open."""

    retried: int
    resolved: int
    still_failing: int


_WHOLE_LINE = 2**31 - 1  # characters: more than any text value holds


def list_dead_letters(
    conn: psycopg.Connection[Any],
    job_id: int,
    *,
    only_open: bool = True,
    limit: int = 100,
    line_max_chars: int | None = None,
) -> list[DeadLetter]:
    """The job's dead letters (only the unresolved ones by default), in file order.

    With ``line_max_chars`` each line is cut to that many characters by the database.
    """
    params = {
        "job_id": job_id,
        "only_open": only_open,
        "limit": limit,
        "line_max_chars": line_max_chars or _WHOLE_LINE,
    }
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(_Q["list_dead_letters"], params)
        return [DeadLetter(*row) for row in cur.fetchall()]


def list_dead_letters_of_jobs(
    conn: psycopg.Connection[Any],
    job_ids: list[int],
    *,
    only_open: bool = True,
    limit: int = 100,
    line_max_chars: int | None = None,
    tenant_id: int | None = None,
) -> dict[int, list[DeadLetter]]:
    """``list_dead_letters`` of each job (every id is a key), in one statement; with
    ``tenant_id``, a job of a shop that tenant does not own has none."""
    params = {
        "tenant_id": tenant_id,
        "job_ids": job_ids,
        "only_open": only_open,
        "limit": limit,
        "line_max_chars": line_max_chars or _WHOLE_LINE,
    }
    found: dict[int, list[DeadLetter]] = {job_id: [] for job_id in job_ids}
    with conn.cursor(row_factory=tuple_row) as cur:
        for job_id, *row in cur.execute(_Q["list_dead_letters_of_jobs"], params):
            found[int(job_id)].append(DeadLetter(*row))
    return found


def dead_letter_line_chunk(
    conn: psycopg.Connection[Any], letter_id: int, *, offset: int, length: int
) -> LineChunk | None:
    """Characters ``offset`` .. ``offset + length`` of the line; None if no such dead letter."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            _Q["dead_letter_line_chunk"], {"id": letter_id, "offset": offset, "length": length}
        ).fetchone()
    return None if row is None else LineChunk(str(row[0]), offset, int(row[1]), int(row[2]))


def retry_dead_letters(
    conn: psycopg.Connection[Any], job_id: int, *, finished_only: bool = False
) -> RetryResult:
    """Retry every open dead letter of the job (see the module docstring)."""
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        params = {"job_id": job_id, "lock_class": _LOCK_CLASS}
        cur.execute(_Q["lock_job_retry"], params)
        job = cur.execute(_Q["job_for_retry"], params).fetchone()
        if job is None:
            raise JobNotFound(f"no sync job {job_id}")
        shop_id, mode, status = int(job[0]), SyncMode(job[1]), JobStatus(job[2])
        finished = bool(job[3])
        if finished_only and status.is_active:
            raise JobStillActive(f"sync job {job_id} is still {status.value}", status=status.value)
        if mode is SyncMode.RECONCILE:
            # Its lines are order ids: merged as orders they would insert empty ones.
            raise InvalidArgument(
                "jobId",
                f"sync job {job_id} is a RECONCILE: its lines are order ids, nothing to retry; "
                "start a new RECONCILE",
            )
        letters = cur.execute(_Q["open_dead_letters"], params).fetchall()
        if not letters:
            return RetryResult(0, 0, 0)
        # Staged under the dead letter's id. Of two lines of one node the later wins, as in the
        # ingest; the earlier, superseded, is resolved with it.
        parsed = parse_lines(
            (int(letter_id), offset, str(line).encode("utf-8"))
            for letter_id, _number, offset, line in letters
        )
        stage_batch(cur, parsed.rows)
        merged = merge_batch(
            conn,
            cur,
            job_id=job_id,
            shop_id=shop_id,
            mode=mode,
            line_items=parsed.line_items,
            park=False,
        )
        failing = {bad.line_number: bad.reason for bad in parsed.bad + merged.bad}
        orphans = cur.execute(_INGEST["undecided_line_items"], params).fetchall()
        for letter_id, parent_id in orphans:
            failing[int(letter_id)] = f"parent order {parent_id} not in the export"
        superseded = {
            int(row[0])
            for row in cur.execute(
                _Q["superseded_letters"], {"job_id": job_id, "shop_id": shop_id}
            ).fetchall()
        }
        resolved = [int(letter[0]) for letter in letters if int(letter[0]) not in failing]
        cur.execute(
            _Q["mark_resolved"],
            {
                "ids": resolved,
                "resolutions": [
                    "superseded" if letter in superseded else "ingested" for letter in resolved
                ],
            },
        )
        cur.execute(
            _Q["mark_still_failing"],
            {"ids": list(failing), "reasons": list(failing.values())},
        )
        deleted = 0
        if finished:
            cur.execute(_INGEST["delete_removed_line_items"], params | {"shop_id": shop_id})
            deleted = max(cur.rowcount, 0)
        stats = replace(
            merged.stats,
            # an orphan is neither written nor skipped: its letter stays open
            line_items_skipped=merged.stats.line_items_skipped
            - len(orphans)
            + parsed.skipped_items,
            lines_superseded=merged.stats.lines_superseded + parsed.superseded,
            failed_lines=-len(resolved),
            line_items_deleted=deleted,
        )
        cur.execute(_INGEST["add_stats"], {**stats.as_params(), "job_id": job_id})
        return RetryResult(len(letters), len(resolved), len(failing))
