"""Tenants and their API tokens, stored as hashes only."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .errors import InvalidArgument
from .sql import queries

_SQL = queries("tenants")

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
ROLES = ("admin", "viewer")


@dataclass(frozen=True)
class TokenRecord:
    """A token as listed: never the token, nor its hash."""

    id: int
    tenant: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class TokenOwner:
    token_id: int
    tenant_id: int
    role: str


def hash_token(token: str) -> bytes:
    """sha256 of the token.

    A plain fast hash is right here, unlike for passwords: tokens are 256 random bits, so no
    dictionary or brute force can invert the hash, and a salt or a slow KDF would only cost
    every request time (and make the lookup by hash impossible).
    """
    return hashlib.sha256(token.encode()).digest()


def normalise_tenant_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not TENANT_NAME.match(cleaned):
        raise InvalidArgument(
            "tenant", "a tenant name is 1-63 of a-z, 0-9, '.', '_', '-', starting alphanumeric"
        )
    return cleaned


def ensure_tenant(conn: psycopg.Connection[Any], name: str) -> int:
    row = conn.execute(_SQL["ensure_tenant"], {"name": normalise_tenant_name(name)}).fetchone()
    assert row is not None
    return int(row[0])


def insert_token(
    conn: psycopg.Connection[Any], *, tenant_id: int, role: str, token_hash: bytes
) -> int:
    if role not in ROLES:
        raise InvalidArgument("role", f"role must be one of {', '.join(ROLES)}")
    row = conn.execute(
        _SQL["insert_token"], {"tenant_id": tenant_id, "role": role, "token_hash": token_hash}
    ).fetchone()
    assert row is not None
    return int(row[0])


def list_tokens(conn: psycopg.Connection[Any], *, tenant: str | None) -> list[TokenRecord]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["list_tokens"], {"tenant": tenant})
        return [TokenRecord(**row) for row in cur.fetchall()]


def revoke_token(conn: psycopg.Connection[Any], token_id: int) -> bool:
    """Whether a live token was revoked (False: unknown or already revoked)."""
    return conn.execute(_SQL["revoke_token"], {"token_id": token_id}).fetchone() is not None


def authenticate(conn: psycopg.Connection[Any], token_hash: bytes) -> TokenOwner | None:
    row = conn.execute(_SQL["authenticate"], {"token_hash": token_hash}).fetchone()
    return None if row is None else TokenOwner(token_id=row[0], tenant_id=row[1], role=row[2])
