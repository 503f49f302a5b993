"""Counters of an ingest, as persisted on the sync_jobs row (one column each): one immutable type
for the engine, the job and the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, slots=True)
class IngestStats:
    """How many lines, bytes and decisions an ingest (or a part of one) accounted for.

    Per job, once the file is read: ``lines_read`` = orders created + updated + unchanged +
    skipped (one per order, whatever its number of lines) + line items written + skipped (the
    nodes of connections added to the query, e.g. metafields, count as line items) +
    ``failed_lines`` (open dead letters) + ``lines_superseded`` (an order's other lines, a line
    item's earlier line for the same order line); ``line_items_deleted`` counts rows, not lines.
    Mid-file, parked line items are the missing term. A RECONCILE job reads ids only: its
    ``lines_read`` = ids staged + ``failed_lines``, and ``orders_deleted`` counts orders.
    """

    lines_read: int = 0
    bytes_read: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_skipped: int = 0
    line_items_written: int = 0
    line_items_skipped: int = 0
    line_items_deleted: int = 0
    failed_lines: int = 0
    lines_superseded: int = 0
    # RECONCILE: mirrored orders its export no longer listed, marked deleted (not lines).
    orders_deleted: int = 0

    def __add__(self, other: IngestStats) -> IngestStats:
        return IngestStats(*(getattr(self, name) + getattr(other, name) for name in STAT_FIELDS))

    def as_params(self) -> dict[str, int]:
        """The counts as bound parameters of the ``add_stats`` query."""
        return asdict(self)


STAT_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(IngestStats))
"""The counters' names, in column order: also the sync_jobs columns and the API's fields."""
