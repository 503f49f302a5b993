"""Prunes remembered webhook deliveries older than their retention, as a periodic task."""

from __future__ import annotations

from typing import Any

import structlog
from psycopg_pool import ConnectionPool

from bulk.webhook_deliveries import prune

from .loop import PeriodicTask

log = structlog.get_logger(__name__)


class PruneWebhookDeliveries:
    def __init__(self, pool: ConnectionPool[Any], *, retention_s: float) -> None:
        self._pool = pool
        self._retention_s = retention_s

    def __call__(self) -> int:
        with self._pool.connection() as conn:
            removed = prune(conn, older_than_s=self._retention_s)
        if removed:
            log.info("scheduler.webhook_deliveries_pruned", removed=removed)
        return removed

    def task(self, interval_s: float) -> PeriodicTask:
        return PeriodicTask("prune_webhook_deliveries", interval_s, self)
