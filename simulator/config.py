"""Configuration of the Shopify Admin API simulator service (built by callers, never from env)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

Layout = Literal["auto", "grouped", "ungrouped", "adversarial"]
RetiredPolicy = Literal["fall_forward", "refuse"]

DEFAULT_SHOP_DOMAIN = "demo.myshopify.com"
DEFAULT_ACCESS_TOKEN = "shpat_simulator_demo_token_0000000000"
DEFAULT_WEBHOOK_SECRET = "shpss_simulator_demo_secret"
DEFAULT_SCOPES = ("read_orders", "read_all_orders")
SUPPORTED_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
LEGACY_VERSIONS = ("2025-01", "2025-04", "2025-07", "2025-10")
"""Retired versions the simulator can still answer as they were (opt-in: ``legacy_versions``)."""
PLAN_RESTORE_RATES = {"Standard": 100, "Advanced": 200, "Plus": 1000, "Enterprise": 2000}


class SimClock:
    """Thread-safe wall clock with an adjustable offset so tests and the demo can move time."""

    def __init__(self, base: Callable[[], datetime] | None = None) -> None:
        self._base = base or (lambda: datetime.now(UTC))
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            offset = self._offset
        return self._base() + offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` and return the new time."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self()

    def reset(self) -> None:
        """Drop any offset added with :meth:`advance`."""
        with self._lock:
            self._offset = timedelta()


@dataclass
class ShopConfig:
    """One simulated shop: its domain, the app's token, scopes, plan and order store size."""

    domain: str = DEFAULT_SHOP_DOMAIN
    access_token: str = DEFAULT_ACCESS_TOKEN
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    plan: str = "Standard"
    orders: int = 20_000
    seed: int = 1
    name: str | None = None

    @property
    def read_all_orders(self) -> bool:
        """Whether the token may see orders older than 60 days."""
        return "read_all_orders" in self.scopes

    def to_json(self) -> dict[str, Any]:
        """JSON form used by the control API."""
        return {
            "domain": self.domain,
            "accessToken": self.access_token,
            "scopes": list(self.scopes),
            "plan": self.plan,
            "orders": self.orders,
            "seed": self.seed,
            "name": self.name or self.domain.split(".")[0],
        }


DEFAULT_OBJECTS_PER_SECOND = 20_000.0


@dataclass
class SimulatorConfig:
    """Everything the simulator service can be told; every [U] fact of the reference is a knob."""

    shops: list[ShopConfig] = field(default_factory=lambda: [ShopConfig()])
    # Versions: the stable supported list (oldest is the fall-forward target). Any other version
    # is retired: Shopify serves it as the oldest supported one and says so in
    # X-Shopify-API-Version -- `retired_versions="fall_forward"`, the
    # default. `"refuse"` answers 404 {"errors":"Not Found"} instead ([U], for clients that want
    # to notice). `legacy_versions` lists retired versions answered as they were while
    # supported (e.g. LEGACY_VERSIONS), to test pre-2026-01 behaviour; empty by default because
    # real Shopify no longer does that.
    supported_versions: tuple[str, ...] = SUPPORTED_VERSIONS
    legacy_versions: tuple[str, ...] = ()
    retired_versions: RetiredPolicy = "fall_forward"
    multi_op_since: str = "2026-01"  # concurrency 5 and bulkOperation(s) queries from here on
    group_objects_since: str = "2025-07"
    user_error_code_since: str = "2025-01"
    webhook_uri_since: str = "2025-01"  # [U] versions before use `callbackUrl` only
    current_bulk_operation_until: str | None = None  # [U] last version exposing it (None: all)
    concurrency_legacy: int = 1
    concurrency: int = 5
    # Operation timing: an operation stays RUNNING for max(run_seconds, objects it exports /
    # objects_per_second) (0: no rate, only run_seconds). Shopify publishes no rate; 20,000
    # objects/s per operation keeps small shops instant and makes a big export take its time
    # (a 600,000-order shop, ~2.4 M objects, runs 2 minutes), so concurrent operations pay off
    # as they do on Shopify, where each operation of a shop runs on its own.
    run_seconds: float = 0.0
    objects_per_second: float = DEFAULT_OBJECTS_PER_SECOND
    created_seconds: float = 0.0
    layout: Layout = "auto"  # auto: grouped when groupObjects is true, else `ungrouped_layout`
    # Without groupObjects, children come later in the file, not next to their parent.
    # Whether they may even come first is [U]: `adversarial` (opt-in) puts some before it.
    ungrouped_layout: Literal["ungrouped", "adversarial"] = "ungrouped"
    # Result files and URLs.
    file_dir: Path | None = None  # None: a temporary directory owned by the app
    url_lifetime_seconds: int = 7 * 24 * 3600
    expire_status: bool = True  # [U] status reads EXPIRED once the URL lifetime has passed
    zero_result_file_size_null: bool = True  # [U] fileSize of a zero-row result
    honour_range: bool = True  # [U] whether downloads honour Range
    download_chunk_size: int = 1 << 20
    signing_key: bytes = b"simulator-url-signing-key"
    public_base_url: str | None = None  # None: derive from the request
    # Rate limiting.
    plan_restore_rates: dict[str, int] = field(default_factory=lambda: dict(PLAN_RESTORE_RATES))
    bucket_multiplier: int = 20
    max_query_cost: int = 1000
    cost_run: int = 10
    cost_cancel: int = 10
    cost_mutation: int = 10
    # Webhooks.
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    webhook_max_attempts: int = 4
    webhook_backoff_seconds: float = 0.2
    webhook_timeout_seconds: float = 5.0
    webhook_early_seconds: float = 1.0  # how long an op keeps reading RUNNING after an early hook
    # Faults installed at start-up (same JSON form as POST /_sim/faults).
    faults: list[dict[str, Any]] = field(default_factory=list)
    # Time source shared by stores, operations, URL expiry and webhooks.
    clock: SimClock = field(default_factory=SimClock)

    def all_versions(self) -> tuple[str, ...]:
        """Every version the endpoint answers without falling forward, oldest first."""
        return tuple(sorted(set(self.supported_versions) | set(self.legacy_versions)))

    def resolve_version(self, requested: str) -> str | None:
        """The version actually served: the requested one, the oldest supported one for a
        retired version (fall forward), or None when retired versions are refused."""
        if requested in self.all_versions():
            return requested
        if self.retired_versions == "refuse":
            return None
        return min(self.supported_versions)

    def restore_rate(self, plan: str) -> int:
        """Points per second restored for a shop plan (unknown plans get Standard)."""
        return self.plan_restore_rates.get(plan, self.plan_restore_rates.get("Standard", 100))

    def now(self) -> datetime:
        """Current simulated time."""
        return self.clock()
