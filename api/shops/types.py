"""GraphQL types of connected shops, mapped from ``bulk.shops.Shop`` (never its token)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from bulk.shops import Shop as ShopRecord

from ..context import Info
from ..errors import ShopConnectionFailed, ValidationError
from ..ids import to_id
from ..jobs.types import SyncJob
from .schedule_types import SyncSchedule, resolve_shop_schedule


async def resolve_schedule(root: Shop, info: Info) -> SyncSchedule | None:
    return await resolve_shop_schedule(int(root.id), info)


@strawberry.type(description="A connected shop. The access token is write-only.")
class Shop:
    id: strawberry.ID
    domain: str
    api_version: str
    admin_url: str
    created_at: datetime
    order_fields: str | None = strawberry.field(
        description="The fields this shop's orders bulk query adds to shopsync's own (see "
        "setOrderFields), normalised; null when none."
    )

    schedule: SyncSchedule | None = strawberry.field(
        resolver=resolve_schedule, description="The shop's sync schedule; null when it has none."
    )

    @classmethod
    def from_domain(cls, shop: ShopRecord) -> Shop:
        return cls(
            id=to_id(shop.id),
            domain=shop.domain,
            api_version=shop.api_version,
            admin_url=shop.admin_url,
            created_at=shop.created_at,
            order_fields=shop.extra_order_fields,
        )


@strawberry.type
class ShopConnected:
    shop: Shop
    initial_job: SyncJob | None = strawberry.field(
        description="The POPULATE job started for a newly connected shop; null on reconnect "
        "and with initialSync: false."
    )


ConnectShopResult = Annotated[
    ShopConnected | ValidationError | ShopConnectionFailed,
    strawberry.union("ConnectShopResult"),
]


@strawberry.input
class ConnectShopInput:
    domain: str
    access_token: str
    api_version: str | None = strawberry.field(
        default=None, description="Admin API version; the server's default when omitted."
    )
    admin_url: str | None = strawberry.field(
        default=None,
        description="Base URL of a Shopify-compatible Admin API; https://{domain} when omitted.",
    )
    initial_sync: bool | None = strawberry.field(
        default=True,
        description="Start the initial POPULATE of a newly connected shop (default true); false "
        "connects it without one (initialJob is null).",
    )
