"""The ``run_sync_job`` actor: one workflow step, then a delayed message for the next step."""

from __future__ import annotations

from typing import Any

import dramatiq

from bulk.retry import BROKER_REDELIVERY
from bulk.workflow import JobRunner

from .queue import ACTOR_NAME, DEFAULT_QUEUE, DramatiqJobQueue

# What reaches Dramatiq is an unreachable database or the time limit (the workflow turns Shopify
# errors and bugs into bounded retries of its own): a few retries with Dramatiq's own jittered
# backoff, bounded by bulk.retry's BROKER_REDELIVERY; a duplicate step is harmless (leases).
# Every delivery is counted on the job, so the job fails once its budget (MAX_DELIVERIES) is
# spent; if Dramatiq gives up first, the scheduler's sweeper re-sends it.
MAX_RETRIES = 5


def register_actors(
    broker: dramatiq.Broker,
    runner: JobRunner,
    queue_name: str = DEFAULT_QUEUE,
    *,
    time_limit_s: float | None = None,
) -> dramatiq.Actor[[int], None]:
    """Declare ``run_sync_job`` on ``broker``; its time limit exceeds one ingest slice."""
    queue = DramatiqJobQueue(broker, queue_name)

    def run_sync_job(job_id: int) -> None:
        step = runner.advance(job_id)
        for other in step.wake:  # a split job's new children, or a finished child's parent
            queue.enqueue(other)
        if not step.done:
            queue.enqueue(job_id, delay_s=step.delay_s)

    limit_s = time_limit_s if time_limit_s is not None else runner.lease_ttl_s
    options: dict[str, Any] = {
        "max_retries": MAX_RETRIES,
        "min_backoff": int(BROKER_REDELIVERY.initial_s * 1000),
        "max_backoff": int(BROKER_REDELIVERY.max_s * 1000),
        "time_limit": int(limit_s * 1000),
    }
    decorate = dramatiq.actor(
        actor_name=ACTOR_NAME, queue_name=queue_name, broker=broker, **options
    )
    actor: dramatiq.Actor[[int], None] = decorate(run_sync_job)
    return actor
