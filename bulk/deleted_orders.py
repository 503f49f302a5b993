"""An order Shopify reports deleted (the ``orders/delete`` webhook) marked deleted in the
mirror, with its line items: kept for audit, hidden by the live_* views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from .sql import queries

_SQL = queries("deleted_orders")


@dataclass(frozen=True)
class DeletedOrder:
    shop_id: int
    order_id: str
    line_items: int


def delete_by_legacy_id(
    conn: psycopg.Connection[Any], *, domain: str, legacy_id: int
) -> DeletedOrder | None:
    """Mark the live order ``legacy_id`` of the shop ``domain`` deleted; None if there is none
    (an unknown shop or order, or one already deleted)."""
    row = conn.execute(
        _SQL["delete_by_legacy_id"], {"domain": domain, "legacy_id": legacy_id}
    ).fetchone()
    if row is None:
        return None
    return DeletedOrder(shop_id=int(row[0]), order_id=str(row[1]), line_items=int(row[2]))
