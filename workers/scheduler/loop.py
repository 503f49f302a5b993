"""A small loop of periodic tasks: each runs at start, then ``interval_s`` after its last run
ended, until the stop event is set. A task that raises is logged and runs again next turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from bulk.crashes import crash_frames, describe_crash

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval_s: float
    run: Callable[[], object]


def run_periodic(
    tasks: Sequence[PeriodicTask],
    stop: threading.Event,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``tasks`` on their intervals until ``stop`` is set (checked between tasks)."""
    due = [clock()] * len(tasks)
    while not stop.is_set():
        for index, task in enumerate(tasks):
            if stop.is_set():
                return
            if due[index] <= clock():
                _run_once(task)
                due[index] = clock() + task.interval_s
        if tasks:
            stop.wait(max(min(due) - clock(), 0.0))
        else:
            stop.wait()


def _run_once(task: PeriodicTask) -> None:
    try:
        task.run()
    except Exception as exc:  # the loop outlives a failed turn (database or broker away)
        log.error(
            "scheduler.task_failed",
            task=task.name,
            error=describe_crash(exc),
            frames=crash_frames(exc),
        )
