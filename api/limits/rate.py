"""An in-process rate limiter keyed by a string: a token bucket per key."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Meant for per-tenant limits on mutations (``connectShop``, ``startSyncJob``,
# ``retryDeadLetters``): the caller picks the key (a tenant id, a client address) and asks
# ``acquire(key)`` before the work. One process only; buckets idle long enough to be full again
# are dropped, so memory follows the active keys, capped at ``max_keys``.


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_s: float  # 0 when allowed; else when one token will be back


class TokenBucketLimiter:
    """``burst`` requests at once per key, refilled at ``rate_per_s``."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def acquire(self, key: str, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens of ``key``'s bucket if it has them."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens >= cost:
            decision = RateDecision(True, 0.0)
            tokens -= cost
        else:
            decision = RateDecision(False, (cost - tokens) / self._rate)
        self._buckets[key] = (tokens, now)  # most recently used last
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)  # the least recently used: refilled or nearly
        return decision
