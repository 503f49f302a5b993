"""The scheduler process's composition root: pool, broker, queue and its periodic tasks (the
sweeper, webhook-delivery pruning, sync schedules)."""

from __future__ import annotations

import threading

import structlog

from service.readiness import check_database
from workers.settings import SchedulerSettings

from ..broker import build_broker
from ..metrics_server import metrics_server
from ..pool import autocommit_pool
from ..queue import DramatiqJobQueue
from ..signals import install_signal_handlers, restore_signal_handlers
from .checkpoint_ttl import ExpireCheckpoints
from .loop import run_periodic
from .metrics import SchedulerMetrics
from .prune import PruneWebhookDeliveries
from .schedules import PRUNE_SLOTS_EVERY_S, PruneScheduleSlots, RunDueSchedules
from .sweep import SweepLostJobs

log = structlog.get_logger(__name__)


def run_scheduler(settings: SchedulerSettings, *, stop: threading.Event | None = None) -> None:
    """Run the periodic tasks until SIGTERM/SIGINT (or ``stop`` is set).

    Several schedulers may run at once (the sweeper claims rows), so one can be started per
    deployment unit without coordination.
    """
    stop = stop or threading.Event()
    check_database(settings.database_url)  # at once, naming `shopsync migrate`: not a hang
    metrics = SchedulerMetrics()
    broker = build_broker(settings.broker_url)
    previous = install_signal_handlers(stop)
    try:
        with (
            metrics_server(
                metrics.registry, host=settings.metrics_host, port=settings.metrics_port
            ),
            autocommit_pool(
                settings.database_url, max_size=2, application_name="shopsync-scheduler"
            ) as pool,
        ):
            queue = DramatiqJobQueue(broker, settings.queue_name)
            sweep = SweepLostJobs(
                pool,
                queue,
                grace_s=settings.sweep_grace_s,
                max_deliveries=settings.max_deliveries,
                batch_size=settings.sweep_batch_size,
                on_sweep=metrics.swept,
            )
            prune = PruneWebhookDeliveries(pool, retention_s=settings.webhook_id_retention_s)
            schedules = RunDueSchedules(
                pool,
                queue,
                batch_size=settings.schedule_batch_size,
                on_slot=metrics.slot,
            )
            prune_slots = PruneScheduleSlots(pool, retention_s=settings.schedule_slot_retention_s)
            expire = ExpireCheckpoints(pool, queue, ttl_s=settings.checkpoint_ttl_s)
            tasks = [
                sweep.task(settings.sweep_interval_s),
                prune.task(settings.webhook_prune_interval_s),
                schedules.task(settings.schedule_tick_s),
                prune_slots.task(PRUNE_SLOTS_EVERY_S),
                expire.task(settings.checkpoint_ttl_interval_s),
            ]
            log.info(
                "scheduler.started",
                tasks=[task.name for task in tasks],
                sweep_interval_s=settings.sweep_interval_s,
                sweep_grace_s=settings.sweep_grace_s,
                schedule_tick_s=settings.schedule_tick_s,
            )
            run_periodic(tasks, stop)
            log.info("scheduler.stopped")
    finally:
        broker.close()
        restore_signal_handlers(previous)
