"""Expected failures, returned as members of mutation result unions (never raised)."""

from __future__ import annotations

import strawberry


@strawberry.type(description="An argument cannot work; `field` names it in GraphQL form.")
class ValidationError:
    field: str | None
    message: str


@strawberry.type(description="Shopify rejected the credentials or could not be reached.")
class ShopConnectionFailed:
    message: str
    code: str = strawberry.field(
        description="AUTHENTICATION, ACCESS_DENIED, SHOP_UNAVAILABLE, UNREACHABLE, SHOPIFY_ERROR "
        "or REFUSED (the token is another shop's, or another tenant connected the shop)."
    )
