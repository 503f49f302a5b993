"""All use cases over one pool: what an entry point builds once and hands to its interface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from psycopg_pool import ConnectionPool

from bulk.net import STRICT, NetPolicy
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.token_crypto import TokenCipher

from .deadletters import DeadLetterService
from .jobs import JobService
from .orders import OrderService
from .ports import JobQueue, OrderSelectionChecker, ShopVerifier
from .schedules import ScheduleService
from .shops import ShopService, WebhookRegistrar
from .tokens import TokenService

log = structlog.get_logger(__name__)


@dataclass
class Services:
    pool: ConnectionPool[Any]
    shops: ShopService
    jobs: JobService
    dead_letters: DeadLetterService
    tokens: TokenService
    schedules: ScheduleService
    orders: OrderService

    def database_is_up(self, *, timeout_s: float = 2.0) -> bool:
        """One round trip to Postgres through the pool."""
        try:
            with self.pool.connection(timeout=timeout_s) as conn:
                conn.execute("SELECT 1")
        except Exception:  # any failure means "not healthy"; the reason goes to the log
            log.warning("health.database_down", exc_info=True)
            return False
        return True


class NoQueue:
    """For entry points that never enqueue (local CLI commands): enqueueing is a bug there."""

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        raise RuntimeError("this process has no job queue")


def build_services(
    pool: ConnectionPool[Any],
    queue: JobQueue | None = None,
    *,
    cipher: TokenCipher,
    default_api_version: str = "2026-10",
    verifier: ShopVerifier | None = None,
    webhook_registrar: WebhookRegistrar | None = None,
    shopify_client_factory: Callable[[ShopifyEndpoint], ShopifyClient] | None = None,
    net_policy: NetPolicy = STRICT,
    deployment_order_fields: str = "",
    selection_checker: OrderSelectionChecker | None = None,
) -> Services:
    queue = queue or NoQueue()
    return Services(
        pool=pool,
        shops=ShopService(
            pool=pool,
            queue=queue,
            default_api_version=default_api_version,
            cipher=cipher,
            verifier=verifier,
            webhook_registrar=webhook_registrar,
            net_policy=net_policy,
            deployment_order_fields=deployment_order_fields,
            selection_checker=selection_checker,
        ),
        jobs=JobService(
            pool=pool, queue=queue, cipher=cipher, shopify_client_factory=shopify_client_factory
        ),
        dead_letters=DeadLetterService(pool=pool),
        tokens=TokenService(pool=pool),
        schedules=ScheduleService(pool=pool, queue=queue),
        orders=OrderService(pool=pool),
    )
