"""GraphQL types of the mirrored orders and their line items (``bulk.mirror``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from bulk.mirror import MirrorLineItem, MirrorOrder

from ..context import Info
from ..loaders import LineItemsKey
from ..paging import MAX_FIRST, checked_first
from .cursor import encode_cursor

DEFAULT_LINE_ITEMS = 50


@strawberry.type(description="A line item of a mirrored order. Money amounts are decimals.")
class LineItem:
    id: strawberry.ID = strawberry.field(description="Shopify's GID of the line item.")
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

    @classmethod
    def from_domain(cls, item: MirrorLineItem) -> LineItem:
        return cls(
            id=strawberry.ID(item.id),
            sku=item.sku,
            name=item.name,
            title=item.title,
            variant_title=item.variant_title,
            vendor=item.vendor,
            quantity=item.quantity,
            current_quantity=item.current_quantity,
            original_unit_price=item.original_unit_price,
            discounted_total=item.discounted_total,
            currency_code=item.currency_code,
        )


async def resolve_line_items(
    root: Order, info: Info, first: int | None = DEFAULT_LINE_ITEMS
) -> list[LineItem]:
    key = LineItemsKey(root.shop_id, str(root.id), checked_first(first))
    return [LineItem.from_domain(item) for item in await info.context.loaders.line_items.load(key)]


@strawberry.type(
    description="An order as the mirror holds it (the last synced version; deleted orders are "
    "not listed). Money amounts are decimals, serialised as strings."
)
class Order:
    shop_id: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="Shopify's GID of the order.")
    legacy_resource_id: str | None = strawberry.field(
        description="The numeric id Shopify's admin shows, as a string."
    )
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
    financial_status: str | None = strawberry.field(description="displayFinancialStatus.")
    fulfillment_status: str | None = strawberry.field(description="displayFulfillmentStatus.")
    total_price: Decimal | None
    subtotal_price: Decimal | None
    total_tax: Decimal | None
    total_discounts: Decimal | None
    customer_id: str | None = strawberry.field(description="Shopify's GID of the customer.")
    tags: list[str]
    cursor: str = strawberry.field(
        description="Opaque; pass as orders(after:) for the orders after this one."
    )
    line_items: list[LineItem] = strawberry.field(
        resolver=resolve_line_items,
        description=f"The order's line items by id, the first `first` (1..{MAX_FIRST}, default "
        f"{DEFAULT_LINE_ITEMS}); loaded for all orders of a page in one statement.",
    )

    @classmethod
    def from_domain(cls, shop_id: int, order: MirrorOrder) -> Order:
        legacy = order.legacy_resource_id
        return cls(
            shop_id=shop_id,
            id=strawberry.ID(order.id),
            legacy_resource_id=None if legacy is None else str(legacy),
            name=order.name,
            email=order.email,
            created_at=order.created_at,
            updated_at=order.updated_at,
            processed_at=order.processed_at,
            cancelled_at=order.cancelled_at,
            cancel_reason=order.cancel_reason,
            closed=order.closed,
            test=order.test,
            currency_code=order.currency_code,
            financial_status=order.display_financial_status,
            fulfillment_status=order.display_fulfillment_status,
            total_price=order.total_price,
            subtotal_price=order.subtotal_price,
            total_tax=order.total_tax,
            total_discounts=order.total_discounts,
            customer_id=order.customer_id,
            tags=order.tags,
            cursor=encode_cursor(order.position),
        )
