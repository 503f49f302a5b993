"""The default ShopVerifier: ask the shop's Admin API who it is, with the given token."""

from __future__ import annotations

from bulk.net import NetPolicy
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from service.ports import ShopCredentials, ShopVerifier


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
