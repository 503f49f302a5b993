"""Connecting a shop: verify its token with Shopify, store it, start its initial populate."""

from __future__ import annotations

import strawberry

from bulk.errors import InvalidArgument, ShopVerificationFailed

from ..context import Info, call
from ..errors import ShopConnectionFailed, ValidationError
from ..jobs.types import SyncJob
from .types import ConnectShopInput, ConnectShopResult, Shop, ShopConnected


async def resolve_connect_shop(info: Info, input: ConnectShopInput) -> ConnectShopResult:
    try:
        # On threads of its own: slow Shopify calls never hold the ones other requests need.
        info.context.limits.tenants.check_rate("connectShop", info.context.caller)
        connected = await call(
            info.context.services.shops.connect,
            info.context.caller,
            domain=input.domain,
            access_token=input.access_token,
            api_version=input.api_version,
            admin_url=input.admin_url,
            initial_sync=input.initial_sync is not False,
            limiter=info.context.limits.shopify_calls,
        )
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    except ShopVerificationFailed as exc:
        return ShopConnectionFailed(message=exc.message, code=exc.code)
    initial = connected.initial_job
    return ShopConnected(
        shop=Shop.from_domain(connected.shop),
        initial_job=None if initial is None else SyncJob.from_domain(initial),
    )


@strawberry.type
class ShopMutations:
    connect_shop: ConnectShopResult = strawberry.mutation(
        resolver=resolve_connect_shop,
        description="Connect a shop (or refresh its credentials; admin tokens only). The "
        "access token must be the shop's own, and a shop another tenant connected cannot be "
        "connected (both: ShopConnectionFailed REFUSED). A new shop gets an initial POPULATE "
        "job over all its orders (INITIAL trigger), unless initialSync is false.",
    )
