"""What the engine reports as it works (Shopify calls, throttle waits, ingested batches, retries),
through a hook the entry point supplies; the engine itself imports no metrics library."""

from __future__ import annotations

from typing import Protocol


class EngineObserver(Protocol):
    """Called on the worker's threads, synchronously: implementations must be cheap and
    thread-safe, and must not raise."""

    def shopify_call(self, outcome: str) -> None:
        """One Admin API request ended: ``ok``, ``throttled``, ``transient`` or ``error``."""

    def throttle_wait(self, seconds: float) -> None:
        """Shopify asked us to wait this long (THROTTLED's restore time, Retry-After)."""

    def ingested(self, *, lines: int, bytes_read: int, seconds: float, dead_letters: int) -> None:
        """One ingest slice committed ``lines`` lines (``bytes_read`` bytes of the file) in
        ``seconds``, ``dead_letters`` of them kept as dead letters."""

    def retry(self, kind: str) -> None:
        """A step will be retried: ``transient`` (Shopify or the download) or ``crashed``."""


class NullObserver:
    """Reports nowhere: the default of the engine and of tests."""

    def shopify_call(self, outcome: str) -> None:
        return None

    def throttle_wait(self, seconds: float) -> None:
        return None

    def ingested(self, *, lines: int, bytes_read: int, seconds: float, dead_letters: int) -> None:
        return None

    def retry(self, kind: str) -> None:
        return None


NULL_OBSERVER: EngineObserver = NullObserver()
