"""Where a shop's Admin GraphQL API lives, which version it speaks, and its token."""

from __future__ import annotations

from dataclasses import dataclass, field

from bulk.shops import Shop
from bulk.token_crypto import TokenCipher


def version_at_least(version: str, minimum: str) -> bool:
    """``"2026-04" >= "2026-01"``; ``unstable`` is newer than every stable version."""
    if version == "unstable":
        return True
    return version >= minimum


@dataclass(frozen=True)
class ShopifyEndpoint:
    admin_url: str
    api_version: str
    # The offline access token is a credential: never printed.
    access_token: str = field(repr=False)

    @property
    def url(self) -> str:
        return f"{self.admin_url.rstrip('/')}/admin/api/{self.api_version}/graphql.json"

    @classmethod
    def from_shop(cls, shop: Shop, cipher: TokenCipher) -> ShopifyEndpoint:
        """The shop's endpoint, its token decrypted: only where a request is about to be sent."""
        return cls(shop.admin_url, shop.api_version, shop.access_token(cipher))

    def at_least(self, version: str) -> bool:
        return version_at_least(self.api_version, version)
