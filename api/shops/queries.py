"""Queries over connected shops."""

from __future__ import annotations

import strawberry

from ..context import Info, call
from ..ids import parse_id
from .types import Shop


async def resolve_shop(info: Info, id: strawberry.ID) -> Shop | None:
    shop_id = parse_id(id)
    if shop_id is None:
        return None
    shop = await call(info.context.services.shops.get, info.context.caller, shop_id)
    return None if shop is None else Shop.from_domain(shop)


async def resolve_shops(info: Info) -> list[Shop]:
    found = await call(info.context.services.shops.list, info.context.caller)
    return [Shop.from_domain(shop) for shop in found]


@strawberry.type
class ShopQueries:
    shop: Shop | None = strawberry.field(
        resolver=resolve_shop, description="A shop by id; null when the id names no shop of yours."
    )
    shops: list[Shop] = strawberry.field(
        resolver=resolve_shops, description="Your tenant's connected shops, oldest first."
    )
