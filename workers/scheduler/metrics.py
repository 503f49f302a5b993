"""The scheduler process's Prometheus metrics: the sweeper's recoveries and the schedules' slots."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from bulk.schedules import SlotRun
from bulk.sweeper import Sweep


class SchedulerMetrics:
    """The counters of one scheduler process, fed by its periodic tasks' outcomes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.recoveries = Counter(
            "shopsync_sweeper_recoveries",
            "Lost jobs the sweeper recovered, by action (requeued, failed: budget spent).",
            ["action"],
            registry=self.registry,
        )
        self.slots = Counter(
            "shopsync_schedule_slots",
            "Schedule slots handled, by kind (UPDATE, RECONCILE) and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        # Both label sets exist from the start, so a rate() sees the first recovery too.
        for action in ("requeued", "failed"):
            self.recoveries.labels(action=action)

    def swept(self, sweep: Sweep) -> None:
        self.recoveries.labels(action="requeued").inc(len(sweep.requeued))
        self.recoveries.labels(action="failed").inc(len(sweep.failed))

    def slot(self, run: SlotRun) -> None:
        self.slots.labels(kind=run.slot.kind.value, outcome=run.slot.outcome.value).inc()
