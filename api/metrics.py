"""The API's Prometheus metrics at ``/metrics``: jobs by status, mode and trigger (read from the
database at scrape time, cached), requests by route, subscriptions open."""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import structlog
from anyio import to_thread
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

JobCounts = Callable[[], Sequence[tuple[str, str, str, int]]]

# Scrapes come every 15 s or so, from one or several Prometheus servers: one GROUP BY over
# sync_jobs per this many seconds at most, whatever the number of scrapers.
JOB_COUNTS_CACHE_S = 5.0
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class JobsCollector(Collector):
    """``shopsync_jobs{status,mode,trigger}``: one query per ``cache_s`` at most."""

    def __init__(
        self,
        counts: JobCounts,
        *,
        cache_s: float = JOB_COUNTS_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._counts = counts
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: Sequence[tuple[str, str, str, int]] | None = None
        self._cached_at = 0.0

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "shopsync_jobs",
            "Sync jobs of every tenant by status, mode and trigger (from the database).",
            labels=["status", "mode", "trigger"],
        )
        for status, mode, trigger, count in self._rows():
            family.add_metric([status, mode, trigger], count)
        yield family

    def _rows(self) -> Sequence[tuple[str, str, str, int]]:
        with self._lock:  # concurrent scrapes share one query
            now = self._clock()
            if self._cached is None or now - self._cached_at >= self._cache_s:
                try:
                    self._cached = self._counts()
                    self._cached_at = now
                except Exception as exc:  # the database is away: say so, keep serving the rest
                    log.warning("metrics.jobs_unavailable", error=type(exc).__name__)
                    return self._cached or []
            return self._cached


class ApiMetrics:
    """The registry of one API app and its request and subscription metrics."""

    def __init__(self, counts: JobCounts, subscriptions: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(JobsCollector(counts))
        self.requests = Counter(
            "shopsync_api_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "shopsync_api_request_seconds",
            "HTTP request duration by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        subscriptions_open = Gauge(
            "shopsync_api_subscriptions_open",
            "GraphQL subscriptions this API process is serving.",
            registry=self.registry,
        )
        subscriptions_open.set_function(lambda: float(subscriptions()))

    def endpoint(self, token: str | None) -> Callable[[Request], Any]:
        """``GET /metrics``; with a token, only for ``Authorization: Bearer <token>``."""
        expected = f"Bearer {token}".encode() if token else None

        async def metrics(request: Request) -> Response:
            if expected is not None:
                given = request.headers.get("authorization", "").encode()
                if not hmac.compare_digest(given, expected):
                    return Response("authentication required\n", status_code=401)
            body = await to_thread.run_sync(generate_latest, self.registry)
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        return metrics


class RequestMetrics:
    """Counts each HTTP request under its route's template (a path nobody routes is
    ``unmatched``: an outsider's paths never become label values)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = _route_of(scope)
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=route).observe(time.perf_counter() - started)


_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _route_of(scope: Scope) -> str:
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return str(getattr(route, "path", "unmatched")) or "/"
    return "unmatched"
