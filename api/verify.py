"""The default ShopVerifier: ask the shop's Admin API who it is, with the given token."""

from __future__ import annotations

from .ports import ShopCredentials, ShopVerifier


def shopify_verifier(*, timeout_s: float) -> ShopVerifier:
    """A verifier that calls ``ShopifyClient.fetch_shop()``; raises ShopifyError on failure."""

    def verify(credentials: ShopCredentials) -> None:
        from bulk.shopify import ShopifyClient, ShopifyEndpoint

        endpoint = ShopifyEndpoint(
            admin_url=credentials.admin_url,
            api_version=credentials.api_version,
            access_token=credentials.access_token,
        )
        with ShopifyClient(endpoint, timeout_s=timeout_s) as client:
            client.fetch_shop()

    return verify
