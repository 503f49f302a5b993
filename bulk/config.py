"""Settings of every shopsync process, read from the environment once, at each entry point."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Where Shopify's signed result and partialData URLs point (reference §5: Google Cloud Storage).
SHOPIFY_RESULT_HOSTS = ("storage.googleapis.com",)


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
    # Shared secret of the Shopify app: verifies bulk_operations/finish webhooks. Unset: no
    # webhook route; set but empty: a startup error (never an empty HMAC key).
    webhook_secret: SecretStr | None = None
    # Fernet keys (comma-separated) encrypting shop access tokens at rest: the first encrypts,
    # all decrypt. Required in production; development falls back to a fixed development key.
    shop_token_keys: SecretStr | None = None
    # Production only: introspection is off unless this is set (development always allows it).
    graphql_introspection: bool = False
    # Host header allow-list (comma-separated, e.g. "sync.example.com"); required in production.
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # Browser origins allowed by CORS (comma-separated); empty: no CORS headers at all.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # How long webhook ids are remembered (replays within it are ignored), then pruned.
    webhook_id_retention_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    webhook_prune_interval_s: float = Field(default=3600.0, gt=0)
    # The API's externally reachable base URL (e.g. https://sync.example.com). With the webhook
    # secret, connectShop subscribes the shop's bulk_operations/finish to /webhooks/shopify there.
    public_url: str | None = None
    default_api_version: str = "2026-10"
    # connectShop asks the shop's Admin API to confirm the token before storing it.
    verify_shops: bool = True
    http_timeout_s: float = 30.0
    # Outbound requests (SSRF). Production: connectShop's adminUrl must be https on the shop's
    # own domain or on one of ``admin_url_hosts``; result files come over https from
    # ``result_url_hosts`` only; every connection goes to a public address (checked after DNS,
    # at connect time). Development also allows loopback (the simulator). Comma-separated.
    admin_url_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    result_url_hosts: Annotated[tuple[str, ...], NoDecode] = SHOPIFY_RESULT_HOSTS
    # Development only (ignored in production): host names that may also be reached over http
    # at private addresses, e.g. "simulator" for the simulator container of docker-compose's
    # development profile. Link-local, multicast and unspecified addresses stay refused.
    dev_private_hosts: Annotated[tuple[str, ...], NoDecode] = ()
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
    # A result line longer than this becomes a dead letter ("line too long") without being held
    # in memory: its bytes are skipped as they stream by. At least batch_bytes.
    max_line_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
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
    # Bounded resources of the API (README "Limits"). Bodies are refused (413) past these
    # sizes without being read further; the webhook's before its HMAC is computed.
    graphql_max_body_bytes: int = Field(default=256 * 1024, ge=1)
    webhook_max_body_bytes: int = Field(default=64 * 1024, ge=1)
    # GraphQL documents: nesting depth, aliases, lexer tokens, and the estimated number of
    # objects a response may hold (list fields count `first`, or MAX_FIRST without one).
    graphql_max_depth: int = Field(default=10, ge=1)
    graphql_max_aliases: int = Field(default=15, ge=0)
    graphql_max_tokens: int = Field(default=2000, ge=1)
    graphql_max_cost: int = Field(default=5000, ge=1)
    # Subscriptions one WebSocket connection may run at once.
    max_subscriptions_per_connection: int = Field(default=10, ge=1)
    # Per tenant (per API process): subscriptions held at once across its connections, and
    # the mutations that start expensive work, per minute (a token bucket: that many at once,
    # refilled over the minute).
    max_subscriptions_per_tenant: int = Field(default=100, ge=1)
    connect_shop_per_minute: int = Field(default=10, ge=1)
    start_sync_job_per_minute: int = Field(default=60, ge=1)
    retry_dead_letters_per_minute: int = Field(default=30, ge=1)
    # `DeadLetter.line` carries at most this many characters; `deadLetterLine` pages the rest,
    # at most dead_letter_chunk_max_chars per call.
    dead_letter_line_max_chars: int = Field(default=4096, ge=1)
    dead_letter_chunk_max_chars: int = Field(default=64 * 1024, ge=1)
    # connectShop's call to Shopify: its own timeout, and at most this many at once, on threads
    # of their own (the API's default threads and /healthz never wait behind them).
    verify_timeout_s: float = Field(default=10.0, gt=0)
    verify_max_concurrency: int = Field(default=4, ge=1)
    # -- deletions --
    # A RECONCILE that would mark more than this share of its window's orders deleted marks
    # none and fails: a token without read_all_orders sees only 60 days, and nothing else
    # should make most of a shop vanish at once.
    reconcile_max_deleted_ratio: float = Field(default=0.5, gt=0, le=1)

    @field_validator(
        "admin_url_hosts",
        "result_url_hosts",
        "dev_private_hosts",
        "allowed_hosts",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        """``"a.example, b.example"`` from the environment; lists and tuples as they are."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("WEBHOOK_SECRET is set but empty; unset it or give the app's secret")
        return value
