"""Counters of an ingest, as persisted on the sync_jobs row (one column each)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class IngestStats:
    """How many lines, bytes and decisions an ingest (or a part of one) accounted for.

    Per job, once the file is read: ``lines_read`` = orders created + updated + unchanged +
    skipped (one per order, whatever its number of lines) + line items written + skipped +
    ``failed_lines`` (open dead letters) + ``lines_superseded`` (an order's other lines, a line
    item's earlier line for the same order line); ``line_items_deleted`` counts rows, not lines.
    Mid-file, parked line items are the missing term.
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

    def add(self, other: IngestStats) -> None:
        """Add ``other``'s counts to these."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_params(self) -> dict[str, int]:
        """The counts as bound parameters of the ``add_stats`` query."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: tuple[object, ...]) -> IngestStats:
        """Counts read by the ``job_stats`` query (columns in field order)."""
        return cls(*(int(str(value)) for value in row))
