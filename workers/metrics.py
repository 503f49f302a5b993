"""The worker process's Prometheus metrics: what its steps did (fed by the engine's observer
hook) and what its messages waited (a Dramatiq middleware)."""

from __future__ import annotations

import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram

# One registry per worker process. ``shopsync worker`` runs Dramatiq's Worker in-process on
# threads (no forked worker processes, unlike the ``dramatiq`` command), so plain counters are
# exact and prometheus-client's multiprocess mode, which Dramatiq's own Prometheus middleware
# needs for its forks, is not.

_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)
_SLICE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class WorkerMetrics:
    """The counters of one worker process; also its engine observer (``bulk.observer``)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.lines = Counter(
            "shopsync_lines_ingested", "Result-file lines committed by ingest slices.", registry=r
        )
        self.bytes = Counter(
            "shopsync_bytes_ingested", "Result-file bytes committed by ingest slices.", registry=r
        )
        self.dead_letters = Counter(
            "shopsync_dead_letters_written", "Lines kept as dead letters by ingests.", registry=r
        )
        self.slices = Histogram(
            "shopsync_ingest_slice_seconds",
            "Duration of ingest slices (rate: bytes_ingested over this histogram's sum).",
            buckets=_SLICE_BUCKETS,
            registry=r,
        )
        self.shopify_calls = Counter(
            "shopsync_shopify_calls",
            "Admin API requests by outcome (ok, throttled, transient, error).",
            ["outcome"],
            registry=r,
        )
        self.throttle_seconds = Counter(
            "shopsync_shopify_throttle_wait_seconds",
            "Seconds Shopify's throttling asked us to wait.",
            registry=r,
        )
        self.retries = Counter(
            "shopsync_retries",
            "Steps retried, by kind (transient: Shopify or the download; crashed: the step "
            "raised; broker: Dramatiq redelivers a message that raised).",
            ["kind"],
            registry=r,
        )
        self.messages = Counter(
            "shopsync_messages_processed",
            "Job step messages processed, by outcome (ok, error).",
            ["outcome"],
            registry=r,
        )
        self.queue_lag = Histogram(
            "shopsync_queue_lag_seconds",
            "Delay from a message's due time (enqueued, or its delay's end) to its start.",
            buckets=_LAG_BUCKETS,
            registry=r,
        )

    # -- bulk.observer.EngineObserver ------------------------------------------------------

    def shopify_call(self, outcome: str) -> None:
        self.shopify_calls.labels(outcome=outcome).inc()

    def throttle_wait(self, seconds: float) -> None:
        if seconds > 0:
            self.throttle_seconds.inc(seconds)

    def ingested(self, *, lines: int, bytes_read: int, seconds: float, dead_letters: int) -> None:
        self.lines.inc(max(lines, 0))
        self.bytes.inc(max(bytes_read, 0))
        self.dead_letters.inc(max(dead_letters, 0))
        self.slices.observe(max(seconds, 0.0))

    def retry(self, kind: str) -> None:
        self.retries.labels(kind=kind).inc()

    def middleware(self) -> MessageMetrics:
        return MessageMetrics(self)


class MessageMetrics(Middleware):
    """Queue lag at each message's start; outcome and broker retries at its end."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self._metrics = metrics

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        # A delayed message is due at its ``eta`` (ms), an immediate one when it was enqueued.
        due_ms = max(message.options.get("eta") or 0, message.message_timestamp)
        self._metrics.queue_lag.observe(max(time.time() * 1000 - due_ms, 0.0) / 1000)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        self._metrics.messages.labels(outcome="ok" if exception is None else "error").inc()
        if exception is not None:
            self._metrics.retries.labels(kind="broker").inc()
