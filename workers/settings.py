"""The environment settings of the worker and the scheduler (and the broker the API sends to)."""

from __future__ import annotations

from pydantic import Field

from service.settings import CommonSettings


class BrokerSettings(CommonSettings):
    """Where sync jobs are queued: every process that sends or consumes them reads these."""

    broker_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "shopsync"


class WorkerSettings(BrokerSettings):
    """``shopsync worker``."""

    # Redis broker only: a worker whose last heartbeat is older than this is dead and its
    # unacked messages go back to their queue, at the next maintenance (which runs on a random
    # ``broker_maintenance_chance`` per million broker commands). Dramatiq's own defaults (60 s;
    # 1,000 per million) leave a crashed worker's job waiting ~17 min with one idle worker; ours
    # bring it to about half a minute. None falls back to Dramatiq's.
    broker_heartbeat_timeout_s: float | None = Field(default=15.0, gt=0)
    broker_maintenance_chance: int | None = Field(default=50_000, ge=1, le=1_000_000)
    # Prometheus /metrics of this worker at METRICS_HOST:METRICS_PORT; 0 turns it off. Several
    # workers on one host need a port each.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9191, ge=0, le=65535)


class SchedulerSettings(BrokerSettings):
    """``shopsync scheduler``."""

    # The sweeper: how often it looks for active jobs whose message was lost, and how long past
    # its due time (or past a dead worker's lease) a step must be to count as lost.
    sweep_interval_s: float = Field(default=30.0, gt=0)
    sweep_grace_s: float = Field(default=300.0, ge=0)
    # At most this many jobs re-enqueued or failed per sweep (each sweep is one short query).
    sweep_batch_size: int = Field(default=100, ge=1)
    # How long webhook ids are remembered (replays within it are ignored), then pruned.
    webhook_id_retention_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    webhook_prune_interval_s: float = Field(default=3600.0, gt=0)
    # The turn over sync schedules: how often it looks for due slots, and at most this many
    # schedules per turn (the rest wait for the next turn).
    schedule_tick_s: float = Field(default=15.0, gt=0)
    schedule_batch_size: int = Field(default=100, ge=1)
    # How long the slot ledger keeps a row (history for Shop.schedule.recentSlots).
    schedule_slot_retention_s: float = Field(default=30 * 24 * 3600.0, gt=0)
    # Finished jobs' checkpoints older than this are cleared (Shopify keeps a result file 7
    # days), every checkpoint_ttl_interval_s.
    checkpoint_ttl_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    checkpoint_ttl_interval_s: float = Field(default=3600.0, gt=0)
    # Prometheus /metrics of this scheduler; 0 turns it off.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9192, ge=0, le=65535)
