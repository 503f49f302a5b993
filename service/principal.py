"""Who is calling: a tenant's admin or viewer, or the trusted system operator."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bulk.errors import Forbidden


class Role(enum.StrEnum):
    ADMIN = "admin"  # reads and mutates the tenant's shops and jobs
    VIEWER = "viewer"  # reads only
    SYSTEM = "system"  # the scheduler, webhooks and local operator commands: every tenant


@dataclass(frozen=True)
class Principal:
    """The caller of a use case. ``tenant_id`` is None only for the system principal."""

    tenant_id: int | None
    role: Role

    def __post_init__(self) -> None:
        if (self.role is Role.SYSTEM) != (self.tenant_id is None):
            raise ValueError("only the system principal has no tenant, and it has none")

    @property
    def is_system(self) -> bool:
        return self.role is Role.SYSTEM

    def can_see(self, owner_tenant_id: int | None) -> bool:
        """Whether a row owned by ``owner_tenant_id`` exists for this caller."""
        return self.is_system or owner_tenant_id == self.tenant_id

    def require_admin(self) -> None:
        """Raise Forbidden unless the caller may mutate (an admin, or the system)."""
        if self.role is Role.VIEWER:
            raise Forbidden("this token is read-only (role viewer)")

    @property
    def scope(self) -> int | None:
        """The tenant id that list queries filter by; None (everything) for the system."""
        return self.tenant_id


# The scheduler, the webhook receiver (HMAC-authenticated) and local CLI operator commands
# (whoever can run them can read the database anyway) act as this.
SYSTEM = Principal(tenant_id=None, role=Role.SYSTEM)


def tenant_principal(tenant_id: int, role: str) -> Principal:
    return Principal(tenant_id=tenant_id, role=Role(role))
