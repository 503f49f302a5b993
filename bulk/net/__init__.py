"""Outbound requests (SSRF): which URLs and addresses shopsync may reach, and httpx clients
that enforce it at connect time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .policy import SHOPIFY_RESULT_HOSTS, STRICT, NetPolicy

if TYPE_CHECKING:
    from .transport import GuardedTransport, allowed_addresses, guarded_client

# The clients load httpx (~3 MB resident): they are imported at their first use, so a process
# that only reads the policy (settings, an idle worker) goes without it.
_TRANSPORT = frozenset({"GuardedTransport", "allowed_addresses", "guarded_client"})


def __getattr__(name: str) -> Any:
    if name in _TRANSPORT:
        from . import transport

        return getattr(transport, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SHOPIFY_RESULT_HOSTS",
    "STRICT",
    "GuardedTransport",
    "NetPolicy",
    "allowed_addresses",
    "guarded_client",
]
