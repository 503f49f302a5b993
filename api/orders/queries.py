"""The ``orders`` query: a shop's mirrored orders, page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from ..context import Info, call
from ..ids import parse_id
from ..paging import DEFAULT_FIRST, MAX_FIRST, checked_first
from .cursor import decode_cursor
from .types import Order


async def resolve_orders(
    info: Info,
    shop_id: strawberry.ID,
    first: int | None = DEFAULT_FIRST,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="An order's `cursor`: the page starts with the order after it. A string "
            "that is not a cursor is a BAD_USER_INPUT error (field after)."
        ),
    ] = None,
    updated_since: Annotated[
        datetime | None,
        strawberry.argument(description="Only orders whose updatedAt is at or after this."),
    ] = None,
) -> list[Order]:
    first = checked_first(first)
    position = None if after is None else decode_cursor(after)
    parsed = parse_id(shop_id)
    if parsed is None:
        return []
    found = await call(
        info.context.services.orders.list,
        info.context.caller,
        parsed,
        first=first,
        updated_since=updated_since,
        after=position,
    )
    return [Order.from_domain(parsed, order) for order in found]


@strawberry.type
class OrderQueries:
    orders: list[Order] = strawberry.field(
        resolver=resolve_orders,
        description=f"A shop's synced orders (deleted ones hidden), oldest change first "
        f"(updatedAt, then id). `first` must be 1..{MAX_FIRST} (else a BAD_USER_INPUT error); "
        "an id naming no shop of yours gives an empty list. Page with `after: <the last "
        "order's cursor>` until a page is shorter than `first`; `updatedSince` reads only "
        "what changed since a time.",
    )
