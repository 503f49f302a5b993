"""The default ShopVerifier (ask the shop's Admin API who it is, with the given token) and
OrderSelectionChecker (ask it whether an order selection runs)."""

from __future__ import annotations

from bulk.net import NetPolicy
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.shops import Shop
from bulk.token_crypto import TokenCipher
from service.ports import OrderSelectionChecker, ShopCredentials, ShopVerifier


def shopify_verifier(*, timeout_s: float, policy: NetPolicy) -> ShopVerifier:
    """A verifier calling ``ShopifyClient.fetch_shop()`` once; returns its ``myshopifyDomain``.

    ``policy`` decides which addresses the call may connect to (public only, in production).

    Raises ShopifyError on failure.
    """

    def verify(credentials: ShopCredentials) -> str:
        endpoint = ShopifyEndpoint(
            admin_url=credentials.admin_url,
            api_version=credentials.api_version,
            access_token=credentials.access_token,
        )
        # One attempt: a person is waiting on the answer and can simply try again.
        with ShopifyClient(endpoint, timeout_s=timeout_s, max_retries=0, policy=policy) as client:
            return client.fetch_shop().myshopify_domain

    return verify


def shopify_selection_checker(
    *, timeout_s: float, policy: NetPolicy, cipher: TokenCipher
) -> OrderSelectionChecker:
    """A checker calling ``ShopifyClient.order_selection_problem`` once with the shop's token."""

    def check(shop: Shop, selection: str) -> str | None:
        endpoint = ShopifyEndpoint.from_shop(shop, cipher)
        with ShopifyClient(endpoint, timeout_s=timeout_s, max_retries=0, policy=policy) as client:
            return client.order_selection_problem(selection)

    return check
