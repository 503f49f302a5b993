"""Enqueueing sync jobs by id: what the API imports from workers (no engine dependencies)."""

from __future__ import annotations

from typing import Protocol

import dramatiq

from .broker import build_broker

ACTOR_NAME = "run_sync_job"
DEFAULT_QUEUE = "shopsync"

# The API builds its broker through this module.
make_broker = build_broker


class JobQueue(Protocol):
    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None: ...


class DramatiqJobQueue:
    """Sends ``run_sync_job(job_id)`` messages by actor name; the message carries only the id."""

    def __init__(self, broker: dramatiq.Broker, queue_name: str = DEFAULT_QUEUE) -> None:
        self._broker = broker
        self._queue_name = queue_name
        broker.declare_queue(queue_name)

    @property
    def queue_name(self) -> str:
        return self._queue_name

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=self._queue_name,
            actor_name=ACTOR_NAME,
            args=(int(job_id),),
            kwargs={},
            options={},
        )
        delay_ms = int(delay_s * 1000) if delay_s > 0 else 0
        self._broker.enqueue(message, delay=max(delay_ms, 1) if delay_ms else None)
