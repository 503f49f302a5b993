"""Per-tenant limits of one API process: mutation rates and subscriptions held at once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import GraphQLError

from service.principal import Principal

from ..settings import ApiSettings
from .rate import TokenBucketLimiter
from .shape import LIMIT_EXCEEDED
from .slots import ConcurrencyCap

# A tenant's token can ask for Shopify calls (``connectShop``), bulk operations
# (``startSyncJob``) and merges (``retryDeadLetters``) that cost far more than the request:
# each has a token bucket per tenant. Subscriptions hold a LISTEN fan-out slot each: a cap per
# tenant across its connections. In-process, like the other limits: with N API processes a
# tenant gets N times these (documented in README "Limits").


def tenant_key(principal: Principal) -> str:
    """The bucket of a caller: its tenant (the trusted SYSTEM principal has its own)."""
    return "system" if principal.tenant_id is None else f"tenant:{principal.tenant_id}"


@dataclass(frozen=True)
class TenantLimits:
    """What each tenant may do per minute, and how many subscriptions it may hold."""

    rates: dict[str, TokenBucketLimiter]  # by mutation name
    subscriptions: ConcurrencyCap

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> TenantLimits:
        per_minute = {
            "connectShop": settings.connect_shop_per_minute,
            "startSyncJob": settings.start_sync_job_per_minute,
            "retryDeadLetters": settings.retry_dead_letters_per_minute,
            "setSyncSchedule": settings.set_sync_schedule_per_minute,
            "setOrderFields": settings.set_order_fields_per_minute,
        }
        return cls(
            rates={
                name: TokenBucketLimiter(rate_per_s=count / 60.0, burst=count)
                for name, count in per_minute.items()
            },
            subscriptions=ConcurrencyCap(
                settings.max_subscriptions_per_tenant, what="subscriptions per tenant"
            ),
        )

    def check_rate(self, mutation: str, principal: Principal) -> None:
        """Spend one of the tenant's ``mutation`` requests; LIMIT_EXCEEDED when none is left."""
        decision = self.rates[mutation].acquire(tenant_key(principal))
        if not decision.allowed:
            wait_s = round(decision.retry_after_s, 1)
            raise GraphQLError(
                f"too many {mutation} requests for this tenant; try again in {wait_s} s",
                extensions={"code": LIMIT_EXCEEDED, "retryAfterS": wait_s},
            )

    @contextlib.contextmanager
    def subscription(self, principal: Principal) -> Iterator[None]:
        """Hold one of the tenant's subscription slots for the block."""
        with self.subscriptions.slot(tenant_key(principal)):
            yield
