"""The use cases' ports: what they need from the queue and from Shopify, as small protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bulk.shops import Shop


class JobQueue(Protocol):
    """Hands a committed job id to the workers (``workers.queue.DramatiqJobQueue`` fits)."""

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None: ...


@dataclass(frozen=True)
class ShopCredentials:
    """A validated, normalised request to connect a shop."""

    domain: str
    api_version: str
    admin_url: str
    # Never printed: a repr of the request must not leak the token.
    access_token: str = field(repr=False)


class ShopVerifier(Protocol):
    """Proves the credentials work and returns the shop's ``myshopifyDomain`` as Shopify
    reports it; raises a ``bulk.errors.ShopifyError`` when they do not work."""

    def __call__(self, credentials: ShopCredentials) -> str: ...


class OrderSelectionChecker(Protocol):
    """Asks the shop's Admin API whether an order selection runs: Shopify's own messages when
    it does not, None when it does; raises a ``bulk.errors.ShopifyError`` when it cannot ask."""

    def __call__(self, shop: Shop, selection: str) -> str | None: ...
