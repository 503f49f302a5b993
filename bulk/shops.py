"""Connected shops: their Admin API address and credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .errors import InvalidArgument, ShopTaken, TokenKeyError
from .sql import queries
from .token_crypto import TokenCipher

_SQL = queries("shops")


@dataclass(frozen=True)
class Shop:
    id: int
    domain: str
    api_version: str
    admin_url: str
    created_at: datetime
    # The tenant that connected it; None for a shop connected before tenants existed.
    tenant_id: int | None
    # Fernet ciphertext of the access token (None: a legacy plaintext row not yet encrypted
    # by `shopsync migrate`). Read use cases never decrypt it; see ``access_token``.
    access_token_encrypted: bytes | None = field(repr=False)
    # GraphQL selection text the shop adds to its orders bulk query (setOrderFields); None: none.
    extra_order_fields: str | None = None

    def access_token(self, cipher: TokenCipher) -> str:
        """The plaintext token, for the code about to send it to Shopify (and no other)."""
        if self.access_token_encrypted is None:
            raise TokenKeyError(
                f"the access token of shop {self.id} is not encrypted yet: run `shopsync migrate`"
            )
        return cipher.decrypt(self.access_token_encrypted, shop_id=self.id)


def _shop(row: dict[str, Any]) -> Shop:
    return Shop(
        id=row["id"],
        domain=row["domain"],
        api_version=row["api_version"],
        admin_url=row["admin_url"],
        created_at=row["created_at"],
        tenant_id=row["tenant_id"],
        access_token_encrypted=row["access_token_encrypted"],
        extra_order_fields=row.get("extra_order_fields"),
    )


# ASCII only (re.ASCII): no userinfo, port, path, query or look-alike unicode can pass.
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$", re.ASCII)


def normalise_domain(domain: str) -> str:
    """``Demo.MyShopify.com/`` → ``demo.myshopify.com``; anything but ``*.myshopify.com`` fails."""
    cleaned = domain.strip().lower().removeprefix("https://").removeprefix("http://")
    cleaned = cleaned.removesuffix("/")
    if not SHOP_DOMAIN.fullmatch(cleaned):
        raise InvalidArgument(
            "domain", f"not a shop domain (expected name.myshopify.com): {domain[:100]!r}"
        )
    return cleaned


def upsert_shop(
    conn: psycopg.Connection[Any],
    *,
    domain: str,
    access_token: str,
    api_version: str,
    admin_url: str,
    cipher: TokenCipher,
    tenant_id: int | None = None,
) -> tuple[Shop, bool]:
    """Store the shop (or refresh its credentials), its token encrypted with ``cipher``; return
    it and whether it is new.

    Raises ShopTaken when another tenant owns the domain (a shop without a tenant is taken
    over by the first tenant to connect it).
    """
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            _SQL["upsert_shop"],
            {
                "domain": domain,
                "access_token_encrypted": cipher.encrypt(access_token),
                "api_version": api_version,
                "admin_url": admin_url,
                "tenant_id": tenant_id,
            },
        )
        row = cur.fetchone()
    if row is None:
        raise ShopTaken(domain)
    return _shop(row), bool(row["inserted"])


def get_shop(conn: psycopg.Connection[Any], shop_id: int) -> Shop | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["get_shop"], {"shop_id": shop_id})
        row = cur.fetchone()
    return None if row is None else _shop(row)


def get_shop_by_domain(conn: psycopg.Connection[Any], domain: str) -> Shop | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["get_shop_by_domain"], {"domain": domain})
        row = cur.fetchone()
    return None if row is None else _shop(row)


def list_shops(conn: psycopg.Connection[Any], *, tenant_id: int | None = None) -> list[Shop]:
    """Every shop, or only the tenant's (``tenant_id`` set)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["list_shops"], {"tenant_id": tenant_id})
        return [_shop(row) for row in cur.fetchall()]


def set_extra_order_fields(
    conn: psycopg.Connection[Any], shop_id: int, fields: str | None
) -> Shop | None:
    """Store the shop's added order fields (already checked); the shop, or None if it is gone."""
    row = conn.execute(_SQL["set_extra_order_fields"], {"shop_id": shop_id, "fields": fields})
    if row.fetchone() is None:
        return None
    return get_shop(conn, shop_id)
