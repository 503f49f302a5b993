"""The sweeper as a periodic task: lost jobs re-enqueued through the job queue, or failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg_pool import ConnectionPool

from bulk.sweeper import Sweep
from service.jobs import JobService
from service.principal import SYSTEM

from ..queue import JobQueue
from .loop import PeriodicTask


class SweepLostJobs:
    """One sweep per call, on a pooled connection."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        queue: JobQueue,
        *,
        grace_s: float,
        max_deliveries: int,
        batch_size: int = 100,
        on_sweep: Callable[[Sweep], None] | None = None,
    ) -> None:
        """``on_sweep`` hears each sweep's outcome (the scheduler's metrics)."""
        self._jobs = JobService(pool=pool, queue=queue)
        self._grace_s = grace_s
        self._max_deliveries = max_deliveries
        self._batch_size = batch_size
        self._on_sweep = on_sweep

    def __call__(self) -> Sweep:
        # The scheduler is the system: it sweeps every tenant's jobs.
        sweep = self._jobs.sweep_lost(
            SYSTEM,
            grace_s=self._grace_s,
            max_deliveries=self._max_deliveries,
            limit=self._batch_size,
        )
        if self._on_sweep is not None:
            self._on_sweep(sweep)
        return sweep

    def task(self, interval_s: float) -> PeriodicTask:
        return PeriodicTask("sweep_lost_jobs", interval_s, self)
