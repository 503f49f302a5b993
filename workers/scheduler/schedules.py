"""Sync schedules as periodic tasks: start (or skip and record) each due slot's job, and prune
old rows of the slot ledger. One line per slot: ``schedule.slot_started`` or
``schedule.slot_skipped``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from psycopg_pool import ConnectionPool

from bulk.schedules import SlotOutcome, SlotRun
from service.principal import SYSTEM
from service.schedules import ScheduleService

from ..queue import JobQueue
from .loop import PeriodicTask

log = structlog.get_logger(__name__)

# The ledger's history is kept for weeks: pruning it hourly is plenty.
PRUNE_SLOTS_EVERY_S = 3600.0


class RunDueSchedules:
    """One turn per call, on a pooled connection; ``clock`` is the schedules' (UTC) time."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        queue: JobQueue,
        *,
        batch_size: int = 100,
        clock: Callable[[], datetime] | None = None,
        on_slot: Callable[[SlotRun], None] | None = None,
    ) -> None:
        """``on_slot`` hears each slot handled (the scheduler's metrics)."""
        self._schedules = ScheduleService(pool=pool, queue=queue)
        if clock is not None:
            self._schedules.clock = clock
        self._batch_size = batch_size
        self._on_slot = on_slot

    def __call__(self) -> list[SlotRun]:
        # The scheduler is the system: it runs every tenant's schedules.
        runs = self._schedules.run_due(SYSTEM, limit=self._batch_size)
        for run in runs:
            slot = run.slot
            fields = {
                "shop_id": slot.shop_id,
                "job_id": slot.job_id,
                "slot_at": slot.slot_at.isoformat(),
                "kind": slot.kind.value,
                "mode": run.mode.value,
            }
            if slot.outcome is SlotOutcome.STARTED:
                log.info("schedule.slot_started", **fields)
            else:
                log.info(
                    "schedule.slot_skipped", outcome=slot.outcome.value, reason=run.reason, **fields
                )
            if self._on_slot is not None:
                self._on_slot(run)
        return runs

    def task(self, interval_s: float) -> PeriodicTask:
        return PeriodicTask("run_due_schedules", interval_s, self)


class PruneScheduleSlots:
    def __init__(
        self,
        pool: ConnectionPool[Any],
        *,
        retention_s: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._schedules = ScheduleService(pool=pool, queue=_NoEnqueue())
        if clock is not None:
            self._schedules.clock = clock
        self._retention_s = retention_s

    def __call__(self) -> int:
        removed = self._schedules.prune_slots(SYSTEM, retention_s=self._retention_s)
        if removed:
            log.info("schedule.slots_pruned", removed=removed)
        return removed

    def task(self, interval_s: float) -> PeriodicTask:
        return PeriodicTask("prune_schedule_slots", interval_s, self)


class _NoEnqueue:
    """Pruning never starts a job."""

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        raise RuntimeError("pruning schedule slots enqueues nothing")
