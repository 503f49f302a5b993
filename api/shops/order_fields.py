"""Adding fields to a shop's orders bulk query (admin tokens; rate-limited per tenant; checked
by the shop's Admin API before they are stored)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from bulk.errors import InvalidArgument
from bulk.order_selection import MAX_SELECTION_CHARS

from ..context import Info, call
from ..errors import ValidationError
from ..ids import parse_id
from .types import Shop


@strawberry.type(description="The shop with the fields its orders bulk query now adds.")
class OrderFieldsSet:
    shop: Shop


SetOrderFieldsResult = Annotated[
    OrderFieldsSet | ValidationError, strawberry.union("SetOrderFieldsResult")
]


async def resolve_set_order_fields(
    info: Info, shop_id: strawberry.ID, fields: str | None = None
) -> SetOrderFieldsResult:
    parsed_id = parse_id(shop_id)
    if parsed_id is None:
        return ValidationError(field="shopId", message=f"not a shop id: {shop_id!r}")
    try:
        info.context.limits.tenants.check_rate("setOrderFields", info.context.caller)
        shop = await call(
            info.context.services.shops.set_order_fields,
            info.context.caller,
            parsed_id,
            fields,
            limiter=info.context.limits.shopify_calls,
        )
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    return OrderFieldsSet(shop=Shop.from_domain(shop))


@strawberry.type
class OrderFieldsMutations:
    set_order_fields: SetOrderFieldsResult = strawberry.mutation(
        resolver=resolve_set_order_fields,
        description="Set the fields a shop's orders bulk query adds to shopsync's own (admin "
        "tokens only), e.g. `poNumber fulfillments { service { serviceName } }`: GraphQL "
        "selection text on the Order, kept in each order's raw from the next job on. At most "
        f"{MAX_SELECTION_CHARS} characters; no aliases. A connection on the order (e.g. "
        "`metafields { edges { node { id namespace key value type } } }`) must select its "
        "nodes' `id`; its nodes are stored one row each (order_children), and a connection "
        "inside another connection is refused. Checked by the shop's Admin API before it is "
        "stored: a field "
        "Shopify refuses is a ValidationError on `fields` with Shopify's own message. Null or "
        "blank removes them.",
    )
