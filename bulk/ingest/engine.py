"""The Ingestor: a result file's JSONL bytes into Postgres exactly once, resumable."""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
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
# Batches in flight beside the one being parsed: the parse of the next batch overlaps the
# merges of this one, whose parts the connections merge at once (memory: about two batches).
_WINDOW = 1


@dataclass(frozen=True, order=True)
class Checkpoint:
    """Position after the last committed line: its number (1-based) and the next byte's offset.

    Positions in one file order alike by line and by byte, so they compare as (line, byte)."""

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


@dataclass
class _InFlight:
    """A batch whose parts are being merged: one future per connection at work on it."""

    batch: LineBatch
    parts: list[int]
    futures: list[Future[tuple[IngestStats, int]]]


class Ingestor:
    """Ingests one result file of one job's bulk operation; resumable from any checkpoint.

    Each batch of whole lines is parsed and classified by ijson, and its rows are split into
    parts by order (``parse.part_of``): an order and its line items are always in the same part.
    Each part of a batch is staged with one COPY, merged by one set-based statement and committed
    in one transaction with that part's position (line, byte) and stats. The parts are merged
    concurrently, one connection each (``merge_conns`` add to ``conn``), every part's batches in
    file order; the job's checkpoint is the smallest position, the prefix every part committed.
    A resumed ingest reads from there and each part skips the batches it had committed, so a kill
    at any moment re-reads at most the batches in flight and writes nothing twice. Each commit is
    fenced by job, operation, lease token and the part's expected previous position, so a stale
    worker or a duplicate message writes nothing (``LeaseLost``). Bad lines become dead letters
    (committed with part 0) without failing their batch.

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
        merge_conns: Sequence[psycopg.Connection[Any]] = (),
    ) -> None:
        """``merge_conns``: idle autocommit connections that merge parts beside ``conn``. A new
        file is split into 1 + len(merge_conns) parts; a resumed one keeps the parts it began with
        (more parts than connections: a connection merges several, one after the other)."""
        if batch_bytes <= 0:
            raise ConfigurationError("batch_bytes must be positive")
        self._max_line_bytes = max(max_line_bytes, batch_bytes)  # a batch holds a whole line
        self._conn = conn
        self._conns = (conn, *merge_conns)
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
        positions = self._part_positions(start)
        committed = list(positions)
        result = IngestResult(checkpoint=start, eof=False, batches=0, lines=0)
        lanes = min(len(self._conns), len(positions))
        window: deque[_InFlight] = deque()
        # One thread per connection merges its parts (waiting on Postgres, without the GIL)
        # while this one downloads and parses the next batches: Python's share of the work
        # overlaps the server's, and the server's runs on several cores.
        with ExitStack() as stack:
            lane_pool = [
                stack.enter_context(
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ingest-merge-{lane}")
                )
                for lane in range(lanes)
            ]
            for batch in self._batches(chunks, start, positions):
                parsed = parse_batch(batch, len(positions))
                active = [p for p, at in enumerate(positions) if batch.end_byte > at.byte]
                futures = []
                for lane, executor in enumerate(lane_pool):
                    mine = [p for p in active if p % lanes == lane]
                    if mine:
                        expected = {p: positions[p] for p in mine}
                        futures.append(
                            executor.submit(
                                self._commit_parts, self._conns[lane], batch, parsed, expected
                            )
                        )
                for p in active:
                    positions[p] = Checkpoint(batch.end_line, batch.end_byte)
                window.append(_InFlight(batch, active, futures))
                while len(window) > _WINDOW:
                    self._account(result, committed, window.popleft())
                if batch.at_eof:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    while window:
                        self._account(result, committed, window.popleft())
                    return result  # nothing read past the deadline
            while window:
                self._account(result, committed, window.popleft())
        result.eof = True
        return result

    def _part_positions(self, start: Checkpoint) -> list[Checkpoint]:
        """Where each part stands: as committed under ``start`` (the job's checkpoint, their
        smallest), or, for a file no part has gone past ``start`` in, all at ``start``."""
        with self._conn.cursor(row_factory=tuple_row) as cur:
            row = cur.execute(_Q["parts"], {"job_id": self._job_id}).fetchone()
        if row is not None and row[0] is not None and row[1] is not None:
            lines, offsets = [int(n) for n in row[0]], [int(n) for n in row[1]]
            if (min(lines), min(offsets)) == (start.line, start.byte):
                return [Checkpoint(n, b) for n, b in zip(lines, offsets, strict=True)]
        return [start] * len(self._conns)

    def _batches(
        self, chunks: Iterable[bytes], start: Checkpoint, positions: list[Checkpoint]
    ) -> Iterator[LineBatch]:
        """The file's batches from ``start``, cut at every part's position: a batch is then
        wholly committed by a part, or not at all."""
        source = _ChunkCursor(chunks)
        begin = start
        for stop in sorted({at for at in positions if at.byte > start.byte}):
            for batch in self._cut(source.take(stop.byte - begin.byte), begin):
                yield replace(batch, at_eof=False) if batch.end_byte == stop.byte else batch
            begin = stop
        yield from self._cut(source.rest(), begin)

    def _cut(self, chunks: Iterable[bytes], begin: Checkpoint) -> Iterator[LineBatch]:
        return batch_lines(
            chunks,
            first_line=begin.line + 1,
            start_byte=begin.byte,
            batch_bytes=self._batch_bytes,
            max_line_bytes=self._max_line_bytes,
        )

    def _account(self, result: IngestResult, committed: list[Checkpoint], done: _InFlight) -> None:
        """Wait for a batch's parts (the oldest in flight), and count it."""
        batch = done.batch
        outcomes = [future.result() for future in done.futures]
        before = min(committed)
        for p in done.parts:
            committed[p] = Checkpoint(batch.end_line, batch.end_byte)
        checkpoint = min(committed)
        self._checkpoint = checkpoint
        result.checkpoint = checkpoint
        result.batches += 1
        result.lines += batch.line_count
        # Lines and bytes count as read once every part committed them (as on the job's row).
        result.stats += IngestStats(
            lines_read=checkpoint.line - before.line, bytes_read=checkpoint.byte - before.byte
        )
        for stats, dead in outcomes:
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

    def _commit_parts(
        self,
        conn: psycopg.Connection[Any],
        batch: LineBatch,
        parsed: ParsedBatch,
        expected: dict[int, Checkpoint],
    ) -> tuple[IngestStats, int]:
        """Commit the parts ``expected`` names of a batch on ``conn``, one transaction each."""
        total, dead = IngestStats(), 0
        for part, at in expected.items():
            stats, bad = self._write_part(conn, batch, parsed, part, at)
            total += stats
            dead += bad
        return total, dead

    def _write_part(
        self,
        conn: psycopg.Connection[Any],
        batch: LineBatch,
        parsed: ParsedBatch,
        part: int,
        expected: Checkpoint,
    ) -> tuple[IngestStats, int]:
        staged = parsed.parts[part]
        lead = part == 0  # the batch's own counts and bad lines are committed with part 0
        bad = list(parsed.bad) if lead else []
        superseded = parsed.superseded if lead else 0
        with self._transaction(conn) as cur:
            if self._mode is SyncMode.RECONCILE:
                stage_batch(cur, staged.rows)
                delta = stage_ids(cur, job_id=self._job_id, superseded=superseded)
            elif staged.rows:
                stage_batch(cur, staged.rows)
                merged = merge_batch(
                    conn,
                    cur,
                    job_id=self._job_id,
                    shop_id=self._shop_id,
                    mode=self._mode,
                    line_items=staged.line_items,
                )
                bad += merged.bad
                delta = replace(
                    merged.stats, lines_superseded=merged.stats.lines_superseded + superseded
                )
            else:
                delta = IngestStats(lines_superseded=superseded)
            if lead:
                delta = replace(
                    delta, line_items_skipped=delta.line_items_skipped + parsed.skipped_items
                )
            delta = replace(delta, failed_lines=len(bad))
            self._write_dead_letters(cur, bad)
            cur.execute(
                _Q["advance_part"],
                {
                    **self._fence_params(),
                    **delta.as_params(),
                    "parts": len(parsed.parts),
                    "part": part,
                    "expected_byte": expected.byte,
                    "line": batch.end_line,
                    "byte": batch.end_byte,
                },
            )
            if cur.rowcount != 1:
                raise LeaseLost(
                    f"job {self._job_id}: part {part} is no longer at byte {expected.byte} "
                    "under this operation and lease"
                )
        return delta, len(bad)

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
    def _transaction(
        self, conn: psycopg.Connection[Any] | None = None
    ) -> Iterator[psycopg.Cursor[Any]]:
        conn = self._conn if conn is None else conn
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise ConfigurationError(
                "the ingest connection must be idle: each batch commits its own transaction"
            )
        with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            yield cur


class _ChunkCursor:
    """A stream of byte chunks read in consecutive spans of exact sizes."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def take(self, size: int) -> Iterator[bytes]:
        """The next ``size`` bytes (fewer if the stream ends first)."""
        while size > 0:
            chunk, self._pending = self._pending or next(self._chunks, b""), b""
            if not chunk:
                return
            if len(chunk) > size:
                chunk, self._pending = chunk[:size], chunk[size:]
            size -= len(chunk)
            yield chunk

    def rest(self) -> Iterator[bytes]:
        """Every byte not taken yet."""
        if self._pending:
            chunk, self._pending = self._pending, b""
            yield chunk
        yield from self._chunks
