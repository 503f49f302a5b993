"""Outbound requests (SSRF): which URLs and addresses shopsync may reach, and httpx clients
that enforce it at connect time."""

from __future__ import annotations

from .policy import SHOPIFY_RESULT_HOSTS, STRICT, NetPolicy
from .transport import GuardedTransport, allowed_addresses, guarded_client

__all__ = [
    "SHOPIFY_RESULT_HOSTS",
    "STRICT",
    "GuardedTransport",
    "NetPolicy",
    "allowed_addresses",
    "guarded_client",
]
