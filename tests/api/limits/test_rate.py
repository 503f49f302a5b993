"""The keyed token bucket meant for per-tenant mutation limits (api.limits.rate)."""

from __future__ import annotations

import pytest

from api.limits.rate import RateDecision, TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_per_refill_interval_per_key() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_s=0.5, burst=3, clock=clock)

    assert [limiter.acquire("tenant-a").allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.acquire("tenant-a") == RateDecision(False, 2.0)
    assert limiter.acquire("tenant-b").allowed  # keys do not share a bucket

    clock.now += 2.0
    assert limiter.acquire("tenant-a").allowed
    assert not limiter.acquire("tenant-a").allowed
    clock.now += 3600
    assert [limiter.acquire("tenant-a").allowed for _ in range(4)] == [True, True, True, False]


def test_memory_is_bounded_by_max_keys() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_s=1, burst=1, clock=clock, max_keys=2)
    for key in ("a", "b", "c"):
        assert limiter.acquire(key).allowed
    assert not limiter.acquire("c").allowed
    assert limiter.acquire("a").allowed  # forgotten as least recently used: full again


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="rate_per_s"):
        TokenBucketLimiter(rate_per_s=0, burst=1)
