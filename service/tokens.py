"""API tokens: issued by the operator for a tenant and role, shown once, stored as a hash."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import structlog
from psycopg_pool import ConnectionPool

from bulk import tenants
from bulk.errors import Forbidden
from bulk.tenants import TokenRecord

from .principal import Principal, tenant_principal

log = structlog.get_logger(__name__)

TOKEN_PREFIX = "sst_"  # recognisable in a leaked file or a secret scanner
MAX_TOKEN_LENGTH = 200  # longer headers are refused before any hashing or query


@dataclass(frozen=True)
class IssuedToken:
    id: int
    tenant: str
    role: str
    # Shown once to whoever asked for it; never printed by a repr or a log line.
    token: str = field(repr=False)


def _require_system(principal: Principal) -> None:
    if not principal.is_system:
        raise Forbidden("only the operator manages tokens")


@dataclass
class TokenService:
    pool: ConnectionPool[Any]

    def create(self, principal: Principal, *, tenant: str, role: str = "admin") -> IssuedToken:
        """A new token for ``tenant`` (created on first use) with ``role``."""
        _require_system(principal)
        # 32 random bytes: 256 bits, so the unsalted sha256 stored is as strong as the token.
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            tenant_id = tenants.ensure_tenant(conn, tenant)
            token_id = tenants.insert_token(
                conn, tenant_id=tenant_id, role=role, token_hash=tenants.hash_token(token)
            )
        log.info("token.created", token_id=token_id, role=role)
        return IssuedToken(
            id=token_id, tenant=tenants.normalise_tenant_name(tenant), role=role, token=token
        )

    def ensure_tenant(self, principal: Principal, tenant: str) -> int:
        """The tenant's id, creating it on first use."""
        _require_system(principal)
        with self.pool.connection() as conn:
            return tenants.ensure_tenant(conn, tenant)

    def list(self, principal: Principal, *, tenant: str | None = None) -> list[TokenRecord]:
        _require_system(principal)
        with self.pool.connection() as conn:
            return tenants.list_tokens(
                conn, tenant=None if tenant is None else tenants.normalise_tenant_name(tenant)
            )

    def revoke(self, principal: Principal, token_id: int) -> bool:
        """Whether a live token was revoked; its next request is refused."""
        _require_system(principal)
        with self.pool.connection() as conn:
            revoked = tenants.revoke_token(conn, token_id)
        if revoked:
            log.info("token.revoked", token_id=token_id)
        return revoked

    def authenticate(self, token: str) -> Principal | None:
        """The caller a bearer token stands for; None for an unknown, revoked or malformed one."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        with self.pool.connection() as conn:
            owner = tenants.authenticate(conn, tenants.hash_token(token))
        return None if owner is None else tenant_principal(owner.tenant_id, owner.role)
