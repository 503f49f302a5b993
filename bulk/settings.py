"""The engine's tunables as a frozen value object: polling, status limits, ingest, retries.

It reads no environment: each entry point reads its own settings and hands these values in.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import InvalidOrderFields
from .order_selection import check_bulk_limits, parse_added


class EngineFields(BaseModel):
    """The engine's fields, declared once: ``EngineSettings`` and the entry points' environment
    settings (same names, upper case: ``POLL_INITIAL_DELAY_S``) both inherit them."""

    # Polling of a running bulk operation (bulk/polling.py): the first poll and the shortest gap,
    # the gap as a share of the run time so far, the longest gap. A finished operation is seen
    # within max(2 s, 5 % of its run time so far): 1.5 s and 4 % leave room for a poll's latency.
    poll_initial_delay_s: float = Field(default=1.5, gt=0)
    poll_elapsed_share: float = Field(default=0.04, gt=0, le=1)
    poll_max_delay_s: float = Field(default=60.0, gt=0)
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
    # Connections merging one job's batches at once, each a part of the orders (by a hash of the
    # order id): Postgres's side of the ingest runs on that many cores. A job resumed mid-file
    # keeps the parts it began with. The worker's pool holds threads x this (+1) connections.
    merge_connections: int = Field(default=2, ge=1, le=8)
    # Bulk operations one POPULATE or FULL job runs at once, each over a created_at range (a
    # child job per range, bulk/ranges.py); the shop's API version caps it (5 from 2026-01, 1
    # before). 1: one operation per job, as before.
    bulk_operations_per_job: int = Field(default=5, ge=1, le=5)
    # Orders each of those operations should have at least: a job runs
    # clamp(orders in its window // this, 1, bulk_operations_per_job) operations (ordersCount,
    # asked up to bulk_operations_per_job x this), so a small shop runs one. Each operation costs
    # a child job, a submit, >= 2 s of polling and a file of its own whatever its size: 20 shops
    # of 1,000 orders on 8 worker threads took a median 54 s split 5 ways, 22 s whole (README).
    # 25,000 orders (~100,000 objects at ~4 per order) is minutes of Shopify's export, against
    # seconds of per-operation overhead. At most 10^8: the limit asked must fit a GraphQL Int.
    bulk_min_orders_per_operation: int = Field(default=25_000, ge=1, le=100_000_000)
    # Resubmissions of a failed/cancelled bulk operation before the job fails.
    max_bulk_attempts: int = 3
    # Retries of one Shopify request on transient errors before giving up on this message.
    max_request_retries: int = 5
    # Deliveries of a job in a row that may end without a clean step (a crash, the time limit,
    # a killed worker) before the job fails; a clean step starts the count over.
    max_deliveries: int = Field(default=5, ge=1)
    # Timeout of one request to Shopify (Admin API call or result download read).
    http_timeout_s: float = 30.0
    # A RECONCILE that would mark more than this share of its window's orders deleted marks
    # none and fails: a token without read_all_orders sees only 60 days, and nothing else
    # should make most of a shop vanish at once.
    reconcile_max_deleted_ratio: float = Field(default=0.5, gt=0, le=1)
    # Fields every shop's orders bulk query adds (GraphQL selection text on the order node, e.g.
    # "poNumber fulfillments { service { serviceName } }"), kept in raw; an added connection's
    # nodes go to order_children (see bulk.order_selection). Checked here at start-up (syntax,
    # size, no aliases, the bulk limits, connection nodes select id);
    # Shopify's schema checks them with each shop's setOrderFields and at every submit.
    extra_order_fields: str = ""

    @field_validator("extra_order_fields")
    @classmethod
    def _valid_selection(cls, value: str) -> str:
        try:
            check_bulk_limits(parse_added(value))
        except InvalidOrderFields as exc:
            raise ValueError(f"EXTRA_ORDER_FIELDS: {exc}") from None
        return value.strip()


class EngineSettings(EngineFields):
    """What ``JobRunner`` is tuned with; unknown fields are refused (a typo is not a default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
