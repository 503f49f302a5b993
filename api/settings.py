"""The environment settings of ``shopsync api``: the web-facing ones, on top of the shared ones."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from service.settings import split_commas
from workers.settings import BrokerSettings


class ApiSettings(BrokerSettings):
    """``shopsync api`` (the broker: it enqueues the jobs it starts)."""

    # Every API request needs a bearer token. Development only: false makes a request without
    # one an admin of the "development" tenant; production refuses to start with it false.
    auth_required: bool = True
    # Shared secret of the Shopify app: verifies bulk_operations/finish webhooks. Unset: no
    # webhook route; set but empty: a startup error (never an empty HMAC key).
    webhook_secret: SecretStr | None = None
    # Production only: introspection is off unless this is set (development always allows it).
    graphql_introspection: bool = False
    # Host header allow-list (comma-separated, e.g. "sync.example.com"); required in production.
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    # Browser origins allowed by CORS (comma-separated); empty: no CORS headers at all.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The API's externally reachable base URL (e.g. https://sync.example.com). With the webhook
    # secret, connectShop subscribes the shop's bulk_operations/finish to /webhooks/shopify there.
    public_url: str | None = None
    # connectShop asks the shop's Admin API to confirm the token before storing it.
    verify_shops: bool = True
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
    set_sync_schedule_per_minute: int = Field(default=30, ge=1)
    set_order_fields_per_minute: int = Field(default=10, ge=1)
    # `DeadLetter.line` carries at most this many characters; `deadLetterLine` pages the rest,
    # at most dead_letter_chunk_max_chars per call.
    dead_letter_line_max_chars: int = Field(default=4096, ge=1)
    dead_letter_chunk_max_chars: int = Field(default=64 * 1024, ge=1)
    # connectShop's call to Shopify: its own timeout, and at most this many at once, on threads
    # of their own (the API's default threads and /healthz never wait behind them).
    verify_timeout_s: float = Field(default=10.0, gt=0)
    verify_max_concurrency: int = Field(default=4, ge=1)
    # Bearer token Prometheus sends to GET /metrics. Unset: /metrics is open in development and
    # absent (404) in production (it counts every tenant's jobs).
    metrics_token: SecretStr | None = None
    # Echoed by /healthz: whoever started this process (shopsync demo, shopsync up) gives it a
    # random one and checks it, so it never drives another process listening on the same port.
    instance_id: str | None = None

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        return split_commas(value)

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        # METRICS_TOKEN= (compose's empty default) means none, never "Bearer " with nothing.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("WEBHOOK_SECRET is set but empty; unset it or give the app's secret")
        return value
