"""The sweeper as a periodic task: lost jobs re-enqueued through the job queue, or failed."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool

from bulk.sweeper import Sweep, sweep_lost_jobs

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
    ) -> None:
        self._pool = pool
        self._queue = queue
        self._grace_s = grace_s
        self._max_deliveries = max_deliveries
        self._batch_size = batch_size

    def __call__(self) -> Sweep:
        with self._pool.connection() as conn:
            return sweep_lost_jobs(
                conn,
                self._queue.enqueue,
                grace_s=self._grace_s,
                max_deliveries=self._max_deliveries,
                limit=self._batch_size,
            )

    def task(self, interval_s: float) -> PeriodicTask:
        return PeriodicTask("sweep_lost_jobs", interval_s, self)
