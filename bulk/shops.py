"""Connected shops: their Admin API address and credentials."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from schema.sqlfile import load_queries

from .errors import InvalidJobRequest

_SQL = load_queries("bulk", "sql/shops.sql")


@dataclass(frozen=True)
class Shop:
    id: int
    domain: str
    api_version: str
    admin_url: str
    created_at: datetime
    # Never printed: repr/logging of a Shop must not leak the token.
    access_token: str = field(repr=False)


def _shop(row: dict[str, Any]) -> Shop:
    return Shop(
        id=row["id"],
        domain=row["domain"],
        api_version=row["api_version"],
        admin_url=row["admin_url"],
        created_at=row["created_at"],
        access_token=row["access_token"],
    )


def normalise_domain(domain: str) -> str:
    """``Demo.MyShopify.com/`` → ``demo.myshopify.com``; rejects what cannot be a shop domain."""
    cleaned = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not cleaned or "/" in cleaned or " " in cleaned or "." not in cleaned:
        raise InvalidJobRequest("domain", f"not a shop domain: {domain!r}")
    return cleaned


def upsert_shop(
    conn: psycopg.Connection[Any],
    *,
    domain: str,
    access_token: str,
    api_version: str,
    admin_url: str,
) -> tuple[Shop, bool]:
    """Store the shop (or refresh its credentials); return it and whether it is new."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            _SQL["upsert_shop"],
            {
                "domain": domain,
                "access_token": access_token,
                "api_version": api_version,
                "admin_url": admin_url,
            },
        )
        row = cur.fetchone()
    assert row is not None
    return _shop(row), bool(row["inserted"])


def get_shop(conn: psycopg.Connection[Any], shop_id: int) -> Shop | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["get_shop"], {"shop_id": shop_id})
        row = cur.fetchone()
    return None if row is None else _shop(row)


def list_shops(conn: psycopg.Connection[Any]) -> list[Shop]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["list_shops"])
        return [_shop(row) for row in cur.fetchall()]
