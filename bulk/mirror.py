"""Reading the mirror: a shop's live orders page by page, and the line items of many orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .sql import queries

_SQL = queries("mirror")


@dataclass(frozen=True)
class OrderPosition:
    """An order's place in the (updated_at, id) order: a page ``after`` it starts with the next."""

    updated_at: datetime | None
    id: str


@dataclass(frozen=True)
class MirrorOrder:
    id: str
    legacy_resource_id: int | None
    name: str | None
    email: str | None
    created_at: datetime | None
    updated_at: datetime | None
    processed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    closed: bool | None
    test: bool | None
    currency_code: str | None
    display_financial_status: str | None
    display_fulfillment_status: str | None
    total_price: Decimal | None
    subtotal_price: Decimal | None
    total_tax: Decimal | None
    total_discounts: Decimal | None
    customer_id: str | None
    tags: list[str]

    @property
    def position(self) -> OrderPosition:
        return OrderPosition(self.updated_at, self.id)


@dataclass(frozen=True)
class MirrorLineItem:
    order_id: str
    id: str
    sku: str | None
    name: str | None
    title: str | None
    variant_title: str | None
    vendor: str | None
    quantity: int | None
    current_quantity: int | None
    original_unit_price: Decimal | None
    discounted_total: Decimal | None
    currency_code: str | None


def list_orders(
    conn: psycopg.Connection[Any],
    *,
    shop_id: int,
    first: int,
    tenant_id: int | None,
    updated_since: datetime | None = None,
    after: OrderPosition | None = None,
) -> list[MirrorOrder]:
    """The shop's live orders by (updated_at, id), strictly after ``after``; none when the shop
    is not ``tenant_id``'s (None: any shop)."""
    params = {
        "shop_id": shop_id,
        "first": first,
        "tenant_id": tenant_id,
        "updated_since": updated_since,
        "after_updated_at": None if after is None else after.updated_at,
        "after_id": None if after is None else after.id,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["list_orders"], params)
        rows = cur.fetchall()
    return [MirrorOrder(**{**row, "tags": list(row["tags"] or [])}) for row in rows]


def line_items_of_orders(
    conn: psycopg.Connection[Any],
    *,
    shop_id: int,
    order_ids: Sequence[str],
    first: int,
    tenant_id: int | None,
) -> dict[str, list[MirrorLineItem]]:
    """The first ``first`` live line items (by id) of each order, in one statement; an order
    without any (or not the tenant's) is absent."""
    params = {
        "shop_id": shop_id,
        "order_ids": list(order_ids),
        "first": first,
        "tenant_id": tenant_id,
    }
    found: dict[str, list[MirrorLineItem]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["line_items_of_orders"], params)
        for row in cur.fetchall():
            item = MirrorLineItem(**row)
            found.setdefault(item.order_id, []).append(item)
    return found
