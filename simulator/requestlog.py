"""Bounded, thread-safe log of requests served, exposed by the control API."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RequestRecord:
    """One served request: who, what kind (run/poll/cancel/query/...) and which top-level
    fields it asked for, cost and outcome."""

    shop: str | None
    kind: str
    http_status: int
    api_version: str | None = None
    requested_cost: int | None = None
    actual_cost: int | None = None
    throttled: bool = False
    bulk_operation_id: str | None = None
    fault: str | None = None
    path: str = ""
    fields: list[str] = field(default_factory=list)
    at: str = ""
    seq: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form (camelCase) used by ``GET /_sim/requests``."""
        raw = asdict(self)
        return {
            "seq": raw["seq"],
            "at": raw["at"],
            "shop": raw["shop"],
            "kind": raw["kind"],
            "status": raw["http_status"],
            "apiVersion": raw["api_version"],
            "requestedCost": raw["requested_cost"],
            "cost": raw["actual_cost"],
            "throttled": raw["throttled"],
            "bulkOperationId": raw["bulk_operation_id"],
            "fault": raw["fault"],
            "path": raw["path"],
            "fields": raw["fields"],
            **raw["extra"],
        }


class RequestLog:
    """Keeps the last ``capacity`` request records."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=capacity)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> RequestRecord:
        """Append a record, assigning its sequence number."""
        with self._lock:
            record.seq = next(self._seq)
            self._records.append(record)
            return record

    def list(
        self,
        *,
        shop: str | None = None,
        kind: str | None = None,
        operation_id: str | None = None,
    ) -> list[RequestRecord]:
        """Records in arrival order, optionally filtered by shop, kind and bulk operation id."""
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (shop is None or r.shop == shop)
            and (kind is None or r.kind == kind)
            and (operation_id is None or r.bulk_operation_id == operation_id)
        ]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
