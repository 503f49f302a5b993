"""The limits shared by every request of one app, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from anyio import CapacityLimiter

from ..settings import ApiSettings
from .tenants import TenantLimits


@dataclass(frozen=True)
class ApiLimits:
    # Threads that may wait on Shopify for connectShop at once, apart from the default ones
    # that serve every other resolver and /healthz.
    shopify_calls: CapacityLimiter
    max_subscriptions_per_connection: int
    dead_letter_line_max_chars: int
    dead_letter_chunk_max_chars: int
    tenants: TenantLimits  # one per process: shared by every request and connection

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> ApiLimits:
        return cls(
            shopify_calls=CapacityLimiter(settings.verify_max_concurrency),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            dead_letter_line_max_chars=settings.dead_letter_line_max_chars,
            dead_letter_chunk_max_chars=settings.dead_letter_chunk_max_chars,
            tenants=TenantLimits.from_settings(settings),
        )
