"""Per-shop leaky-bucket cost limiter with an injectable monotonic clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Admission:
    """Outcome of asking the bucket for ``requested`` points."""

    admitted: bool
    currently_available: float


class LeakyBucket:
    """A bucket of ``maximum`` points refilled at ``restore_rate`` points per second."""

    def __init__(
        self, maximum: int, restore_rate: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = float(maximum)
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._available = min(float(self.maximum), self._available + elapsed * self.restore_rate)

    def available(self) -> float:
        """Points available right now."""
        with self._lock:
            self._refill()
            return self._available

    def try_consume(self, requested: int) -> Admission:
        """Take ``requested`` points if they are all available, else take nothing."""
        with self._lock:
            self._refill()
            if requested > self._available:
                return Admission(False, self._available)
            self._available -= requested
            return Admission(True, self._available)

    def refund(self, points: int) -> float:
        """Give back ``points`` (requested minus actual cost); returns the new level."""
        with self._lock:
            self._refill()
            self._available = min(float(self.maximum), self._available + max(0, points))
            return self._available

    def drain(self, points: float | None = None) -> None:
        """Remove ``points`` (all when None) without admission checks; for tests and faults."""
        with self._lock:
            self._refill()
            self._available = max(
                0.0, self._available - (self._available if points is None else points)
            )

    def status(self, currently_available: float | None = None) -> dict[str, Any]:
        """The ``throttleStatus`` object of ``extensions.cost``."""
        level = self.available() if currently_available is None else currently_available
        return {
            "maximumAvailable": float(self.maximum),
            "currentlyAvailable": int(level),
            "restoreRate": float(self.restore_rate),
        }


class Throttle:
    """Buckets keyed by shop domain, created on first use from the shop's plan."""

    def __init__(self, multiplier: int = 20, clock: Callable[[], float] = time.monotonic) -> None:
        self.multiplier = multiplier
        self.clock = clock
        self._buckets: dict[str, LeakyBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, shop: str, restore_rate: int) -> LeakyBucket:
        """The shop's bucket (resized if the plan's restore rate changed)."""
        with self._lock:
            current = self._buckets.get(shop)
            if current is None or current.restore_rate != restore_rate:
                current = LeakyBucket(restore_rate * self.multiplier, restore_rate, self.clock)
                self._buckets[shop] = current
            return current

    def reset(self) -> None:
        """Forget every bucket (they start full again)."""
        with self._lock:
            self._buckets.clear()
