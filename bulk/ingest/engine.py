"""The Ingestor: a result file's JSONL bytes into Postgres exactly once, resumable."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from bulk.errors import ConfigurationError, LeaseLost
from bulk.sql import queries
from bulk.types import SyncMode

from .lines import LineBatch, batch_lines
from .merge import merge_batch, stage_batch
from .parse import BadLine, ParsedBatch, parse_batch
from .reconcile import mark_deleted, stage_ids
from .stats import IngestStats

_Q = queries("ingest")

DEFAULT_BATCH_BYTES = 4 << 20
DEFAULT_MAX_LINE_BYTES = 16 << 20
DEFAULT_MAX_DELETED_RATIO = 0.5

# A committed batch, its stats and how many of its lines were dead-lettered.
_Committed = tuple[LineBatch, IngestStats, int]


@dataclass(frozen=True)
class Checkpoint:
    """Position after the last committed line: its number (1-based) and the next byte's offset."""

    line: int
    byte: int


@dataclass
class IngestResult:
    """Where an ``ingest`` call stopped and what it did."""

    checkpoint: Checkpoint
    eof: bool
    batches: int
    lines: int
    stats: IngestStats = field(default_factory=IngestStats)
    dead_letters: int = 0


class Ingestor:
    """Ingests one result file of one job's bulk operation; resumable from any checkpoint.

    Each batch of whole lines is parsed and classified by ijson, staged with one COPY, merged by one
    set-based statement and committed in one transaction together with the job's checkpoint (line,
    byte) and stats; the checkpoint UPDATE is fenced by job, operation, lease token and the expected
    previous offset, so a stale worker or a duplicate message writes nothing (``LeaseLost``). Bad
    lines become dead letters without failing their batch.

    Two versions of one order in one file: the line with the newest ``updatedAt`` wins (the later
    line on a tie), in every mode, within a batch and across batches, and the order's stored line
    items end up exactly that version's. A line item belongs to the nearest preceding line of its
    order in file order, or, when it comes before every line of its order, to the next one (the
    order's first line). Items of a losing line are skipped; at the end of the file, line items of a
    kept order that are not in the kept version are deleted (``finish``), except for an order with
    an open dead letter: it keeps its previous line items until a retry gets its lines in.

    A line longer than ``max_line_bytes`` is a dead letter ("line too long") and is never held in
    memory whole. The stats obey the identity documented on ``IngestStats``.

    RECONCILE (an ids-only export): each batch's order ids are staged in ``reconcile_ids`` with
    the same fenced checkpoints, and ``finish`` marks the window's orders it did not list
    deleted, only after checking the export is whole (see ``reconcile.mark_deleted``).
    """

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        *,
        job_id: int,
        shop_id: int,
        mode: SyncMode,
        operation_id: str | None,
        lease_token: uuid.UUID | None = None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_deleted_ratio: float = DEFAULT_MAX_DELETED_RATIO,
    ) -> None:
        if batch_bytes <= 0:
            raise ConfigurationError("batch_bytes must be positive")
        self._max_line_bytes = max(max_line_bytes, batch_bytes)  # a batch holds a whole line
        self._conn = conn
        self._job_id = job_id
        self._shop_id = shop_id
        self._mode = SyncMode(mode)
        self._operation_id = operation_id
        self._lease_token = lease_token
        self._batch_bytes = batch_bytes
        self._max_deleted_ratio = max_deleted_ratio
        self._checkpoint: Checkpoint | None = None  # last one this ingestor committed

    def ingest(
        self, chunks: Iterable[bytes], *, start: Checkpoint, deadline: float | None = None
    ) -> IngestResult:
        """Ingest the file's bytes from ``start.byte`` on, batch by batch (see the class).

        Returns after the batch during which ``time.monotonic()`` passed ``deadline`` (eof=False)
        or at the end of the stream (eof=True). An exception from ``chunks`` propagates with
        nothing of the unfinished batch committed.
        """
        result = IngestResult(checkpoint=start, eof=False, batches=0, lines=0)
        batches = batch_lines(
            chunks,
            first_line=start.line + 1,
            start_byte=start.byte,
            batch_bytes=self._batch_bytes,
            max_line_bytes=self._max_line_bytes,
        )
        expected = start
        # One batch commits on a thread (waiting on Postgres, without the GIL) while this one
        # downloads and parses the next: Python's share of the work overlaps the server's. The
        # parse waits until the commit's one long statement is running: the short round trips
        # before it would otherwise each wait for the GIL (up to the 5 ms switch interval).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-commit") as committer:
            in_flight: Future[_Committed] | None = None
            try:
                for batch in batches:
                    parsed = parse_batch(batch)
                    if in_flight is not None:
                        self._account(result, in_flight.result())
                    merging = threading.Event()
                    in_flight = committer.submit(
                        self._commit_batch, batch, parsed, expected, merging
                    )
                    merging.wait()
                    expected = Checkpoint(batch.end_line, batch.end_byte)
                    if batch.at_eof:
                        break
                    if deadline is not None and time.monotonic() >= deadline:
                        self._account(result, in_flight.result())
                        return result  # nothing read past the deadline
                if in_flight is not None:
                    self._account(result, in_flight.result())
                    in_flight = None
            finally:
                if in_flight is not None:
                    wait([in_flight])  # the chunks failed: the complete batch still commits
        result.eof = True
        return result

    def _account(self, result: IngestResult, committed: _Committed) -> None:
        batch, stats, dead = committed
        checkpoint = Checkpoint(batch.end_line, batch.end_byte)
        self._checkpoint = checkpoint
        result.checkpoint = checkpoint
        result.batches += 1
        result.lines += batch.line_count
        result.stats += stats
        result.dead_letters += dead

    def finish(self) -> IngestStats:
        """At EOF: parked line items whose parent never came → dead letters; line items of the
        orders this job wrote that the kept version does not list → deleted (not for an order
        with an open dead letter). RECONCILE: the window's orders the export did not list are
        marked deleted, or ReconcileRefused with nothing written. Fenced; idempotent."""
        expected = self._checkpoint.byte if self._checkpoint is not None else None
        with self._transaction() as cur:
            cur.execute(_Q["fence_job"], {**self._fence_params(), "expected_byte": expected})
            if cur.fetchone() is None:
                raise LeaseLost(f"job {self._job_id}: lease or checkpoint moved on before finish")
            params = {"job_id": self._job_id, "shop_id": self._shop_id}
            if self._mode is SyncMode.RECONCILE:
                stats = mark_deleted(cur, **params, max_deleted_ratio=self._max_deleted_ratio)
            else:
                cur.execute(_Q["dead_letter_orphans"], params)
                row = cur.fetchone()
                orphans = int(row[0]) if row else 0
                cur.execute(_Q["delete_removed_line_items"], params)
                stats = IngestStats(failed_lines=orphans, line_items_deleted=max(cur.rowcount, 0))
            cur.execute(_Q["add_stats"], {**stats.as_params(), "job_id": self._job_id})
            cur.execute(_Q["mark_ingest_finished"], params)
        return stats

    def _commit_batch(
        self,
        batch: LineBatch,
        parsed: ParsedBatch,
        expected: Checkpoint,
        merging: threading.Event | None = None,
    ) -> _Committed:
        try:
            return self._write_batch(batch, parsed, expected, merging)
        finally:
            if merging is not None:
                merging.set()

    def _write_batch(
        self,
        batch: LineBatch,
        parsed: ParsedBatch,
        expected: Checkpoint,
        merging: threading.Event | None,
    ) -> _Committed:
        read = IngestStats(lines_read=batch.line_count, bytes_read=batch.size)
        with self._transaction() as cur:
            cur.execute(
                _Q["advance_checkpoint"],
                {
                    **self._fence_params(),
                    "expected_byte": expected.byte,
                    "line": batch.end_line,
                    "byte": batch.end_byte,
                    "lines_read": read.lines_read,
                    "bytes_read": read.bytes_read,
                },
            )
            if cur.rowcount != 1:
                raise LeaseLost(
                    f"job {self._job_id}: checkpoint is no longer at byte {expected.byte} "
                    "under this operation and lease"
                )
            stage_batch(cur, parsed.rows)
            if merging is not None:
                merging.set()
            if self._mode is SyncMode.RECONCILE:
                staged = stage_ids(cur, job_id=self._job_id, parsed=parsed)
                self._write_dead_letters(cur, parsed.bad)
                delta = replace(staged, failed_lines=len(parsed.bad))
                cur.execute(_Q["add_stats"], {**delta.as_params(), "job_id": self._job_id})
                return batch, read + delta, len(parsed.bad)
            merged = merge_batch(
                self._conn,
                cur,
                job_id=self._job_id,
                shop_id=self._shop_id,
                mode=self._mode,
                line_items=parsed.line_items,
            )
            bad = parsed.bad + merged.bad
            self._write_dead_letters(cur, bad)
            delta = replace(
                merged.stats,
                failed_lines=len(bad),
                lines_superseded=merged.stats.lines_superseded + parsed.superseded,
                line_items_skipped=merged.stats.line_items_skipped + parsed.skipped_items,
            )
            cur.execute(_Q["add_stats"], {**delta.as_params(), "job_id": self._job_id})
        return batch, read + delta, len(bad)

    def _write_dead_letters(self, cur: psycopg.Cursor[Any], bad: list[BadLine]) -> None:
        if not bad:
            return
        cur.executemany(
            _Q["insert_dead_letter"],
            [
                {
                    "job_id": self._job_id,
                    "shop_id": self._shop_id,
                    "line_number": line.line_number,
                    "byte_offset": line.byte_offset,
                    "reason": line.reason,
                    "line": line.line,
                    "node_id": line.node_id,
                    "parent_id": line.parent_id,
                }
                for line in sorted(bad, key=lambda line: line.line_number)
            ],
        )

    def _fence_params(self) -> dict[str, Any]:
        return {
            "job_id": self._job_id,
            "operation_id": self._operation_id,
            "lease_token": self._lease_token,
        }

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        conn = self._conn
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise ConfigurationError(
                "the ingest connection must be idle: each batch commits its own transaction"
            )
        with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            yield cur
