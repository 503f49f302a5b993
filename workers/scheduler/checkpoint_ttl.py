"""Expires the checkpoints of finished jobs after their TTL, as a periodic task: the jobs say so,
and no job resumes a result file Shopify no longer keeps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from bulk.checkpoints import ExpiredCheckpoint
from service.jobs import JobService
from service.principal import SYSTEM

from ..queue import JobQueue
from .loop import PeriodicTask


def _utc_now() -> datetime:
    return datetime.now(UTC)


def expiry_reason(ttl_s: float) -> str:
    """``expired after 7 days`` (whole days), else in seconds (``expired after 2 s``)."""
    days, rest = divmod(ttl_s, 86_400)
    if days and not rest:
        return f"expired after {int(days)} day{'s' if days != 1 else ''}"
    return f"expired after {ttl_s:g} s"


class ExpireCheckpoints:
    """One pass per call: batches of at most ``batch_size`` jobs until none is due."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        queue: JobQueue,
        *,
        ttl_s: float,
        batch_size: int = 100,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._jobs = JobService(pool=pool, queue=queue)
        self._ttl = timedelta(seconds=ttl_s)
        self._reason = expiry_reason(ttl_s)
        self._batch_size = batch_size
        self._clock = clock

    def __call__(self) -> Sequence[ExpiredCheckpoint]:
        cutoff = self._clock() - self._ttl
        expired: list[ExpiredCheckpoint] = []
        while True:  # each batch is one short statement; the loop ends when one comes back short
            batch = self._jobs.expire_checkpoints(
                SYSTEM, cutoff=cutoff, reason=self._reason, limit=self._batch_size
            )
            expired.extend(batch)
            if len(batch) < self._batch_size:
                return expired

    def task(self, interval_s: float) -> PeriodicTask:
        return PeriodicTask("expire_checkpoints", interval_s, self)
