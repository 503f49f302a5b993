"""Settings of every shopsync process, read from the environment once, at each entry point."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Environment variables (names are the field names in upper case, e.g. ``DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/shopsync"
    broker_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "shopsync"
    # Redis broker only: a worker whose last heartbeat is older than this is dead and its
    # unacked messages go back to their queue, at the next maintenance (which runs on a random
    # ``broker_maintenance_chance`` per million broker commands). Dramatiq's own defaults (60 s;
    # 1,000 per million) leave a crashed worker's job waiting ~17 min with one idle worker; ours
    # bring it to about half a minute. None falls back to Dramatiq's.
    broker_heartbeat_timeout_s: float | None = Field(default=15.0, gt=0)
    broker_maintenance_chance: int | None = Field(default=50_000, ge=1, le=1_000_000)
    # Development turns on GraphiQL; production hides it.
    environment: str = Field(default="development", pattern="^(development|production)$")
    # Every API request needs a bearer token. Development only: false makes a request without
    # one an admin of the "development" tenant; production refuses to start with it false.
    auth_required: bool = True
    # Shared secret of the Shopify app: verifies bulk_operations/finish webhooks.
    webhook_secret: SecretStr | None = None
    # The API's externally reachable base URL (e.g. https://sync.example.com). With the webhook
    # secret, connectShop subscribes the shop's bulk_operations/finish to /webhooks/shopify there.
    public_url: str | None = None
    default_api_version: str = "2026-10"
    # connectShop asks the shop's Admin API to confirm the token before storing it.
    verify_shops: bool = True
    http_timeout_s: float = 30.0
    # Polling of a running bulk operation: first delay, growth factor, ceiling.
    poll_initial_delay_s: float = 1.0
    poll_backoff_factor: float = 1.5
    poll_max_delay_s: float = 60.0
    # How long an operation may stay in one status before it is cancelled (CREATED, RUNNING) and
    # the job FAILED. Shopify stops a bulk query itself after 10 days.
    bulk_created_limit_s: float = Field(default=3600.0, gt=0)
    bulk_running_limit_s: float = Field(default=10 * 24 * 3600.0, gt=0)
    bulk_canceling_limit_s: float = Field(default=3600.0, gt=0)
    # Ingest: bytes per committed batch, and how long one worker message may ingest before it
    # re-enqueues itself from the checkpoint (fairness, and Dramatiq's time limit).
    batch_bytes: int = 4 * 1024 * 1024
    ingest_slice_s: float = 120.0
    # Resubmissions of a failed/cancelled bulk operation before the job fails.
    max_bulk_attempts: int = 3
    # Retries of one Shopify request on transient errors before giving up on this message.
    max_request_retries: int = 5
    # Deliveries of a job in a row that may end without a clean step (a crash, the time limit,
    # a killed worker) before the job fails; a clean step starts the count over.
    max_deliveries: int = Field(default=5, ge=1)
    # The scheduler's sweeper: how often it looks for active jobs whose message was lost, and
    # how long past its due time (or past a dead worker's lease) a step must be to count as lost.
    sweep_interval_s: float = Field(default=30.0, gt=0)
    sweep_grace_s: float = Field(default=300.0, ge=0)
    # At most this many jobs re-enqueued or failed per sweep (each sweep is one short query).
    sweep_batch_size: int = Field(default=100, ge=1)
