"""The BulkOperation object as Shopify returns it, parsed into a typed value."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bulk.errors import UnexpectedResponseError


class BulkOperationStatus(enum.StrEnum):
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        return self not in (
            BulkOperationStatus.CREATED,
            BulkOperationStatus.RUNNING,
            BulkOperationStatus.CANCELING,
        )


@dataclass(frozen=True)
class BulkOperation:
    id: str
    status: BulkOperationStatus
    error_code: str | None
    created_at: datetime | None
    completed_at: datetime | None
    object_count: int
    root_object_count: int
    file_size: int | None
    # Signed URLs are bearer credentials for the shop's data: never printed.
    url: str | None = field(default=None, repr=False)
    partial_data_url: str | None = field(default=None, repr=False)
    query: str | None = field(default=None, repr=False)


def _count(value: Any, name: str) -> int | None:
    # UnsignedInt64 arrives as a JSON string ("1424"); tolerate a number too.
    if value is None:
        return None
    if isinstance(value, bool):
        raise UnexpectedResponseError(f"BulkOperation.{name} is not a count: {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise UnexpectedResponseError(f"BulkOperation.{name} is not a count: {value!r}") from exc


def _instant(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnexpectedResponseError(f"BulkOperation.{name} is not a timestamp: {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnexpectedResponseError(
            f"BulkOperation.{name} is not a timestamp: {value!r}"
        ) from exc


def parse_bulk_operation(node: Any) -> BulkOperation:
    """Build a BulkOperation from its JSON object; unknown statuses fail loudly."""
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        raise UnexpectedResponseError("bulk operation object without an id")
    raw_status = node.get("status")
    try:
        status = BulkOperationStatus(str(raw_status))
    except ValueError as exc:
        raise UnexpectedResponseError(
            f"bulk operation {node['id']} has an unknown status {raw_status!r}"
        ) from exc
    error_code = node.get("errorCode")
    return BulkOperation(
        id=node["id"],
        status=status,
        error_code=error_code if isinstance(error_code, str) else None,
        created_at=_instant(node.get("createdAt"), "createdAt"),
        completed_at=_instant(node.get("completedAt"), "completedAt"),
        object_count=_count(node.get("objectCount"), "objectCount") or 0,
        root_object_count=_count(node.get("rootObjectCount"), "rootObjectCount") or 0,
        file_size=_count(node.get("fileSize"), "fileSize"),
        url=node.get("url"),
        partial_data_url=node.get("partialDataUrl"),
        query=node.get("query") if isinstance(node.get("query"), str) else None,
    )
