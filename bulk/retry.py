"""The one retry policy: jittered exponential backoff for the n-th failure, capped."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import stamina

# In-process retry loops hand a ``Backoff`` to stamina (``retry_context``); places that schedule
# a delayed message instead of sleeping use ``Backoff.delay_s``, the same formula as stamina's.


@dataclass(frozen=True)
class Backoff:
    """``min(max_s, initial_s * exp_base ** (n - 1) + uniform(0, jitter_s))`` for failure n."""

    initial_s: float
    max_s: float
    jitter_s: float
    exp_base: float = 2.0

    def floor_s(self, failures: int) -> float:
        """The delay after failure ``failures`` (1-based) without jitter: grows to ``max_s``."""
        try:
            return float(min(self.max_s, self.initial_s * self.exp_base ** (max(failures, 1) - 1)))
        except OverflowError:
            return self.max_s

    def delay_s(self, failures: int, *, server_wait_s: float | None = None) -> float:
        """The jittered delay after failure ``failures``, never shorter than a server's wait."""
        delay = min(self.max_s, self.floor_s(failures) + self._jitter())
        return max(delay, server_wait_s or 0.0)

    def server_delay_s(self, server_wait_s: float) -> float:
        """A server-given wait (Retry-After, THROTTLED's restore time) plus jitter, never less."""
        return server_wait_s + self._jitter()

    def _jitter(self) -> float:
        return random.uniform(0.0, self.jitter_s) if self.jitter_s else 0.0

    def retry_context(
        self, on: Callable[[Exception], bool | float], *, attempts: int
    ) -> Iterable[stamina.Attempt]:
        """A stamina retry loop with this policy; ``on`` may return a server-given wait (s)."""
        return stamina.retry_context(
            on=on,
            attempts=attempts,
            timeout=None,
            wait_initial=self.initial_s,
            wait_max=self.max_s,
            wait_jitter=self.jitter_s,
            wait_exp_base=self.exp_base,
        )


# Jitter is at most half the first delay, so each delay still exceeds the one before until the
# cap: spread, not reordered.

# One Admin API request (5xx, timeouts, connection failures), retried in-process.
SHOPIFY_REQUEST = Backoff(initial_s=0.5, max_s=10.0, jitter_s=0.25)
# A workflow step that ended in a transient error: the job is re-enqueued after this delay.
TRANSIENT_STEP = Backoff(initial_s=1.0, max_s=300.0, jitter_s=0.5)
# A workflow step that crashed (a bug, a lost database): redelivered after this delay.
CRASHED_STEP = Backoff(initial_s=1.0, max_s=60.0, jitter_s=0.5)
# What reaches the broker (unreachable database, time limit): Dramatiq's own jittered backoff
# gets these bounds.
BROKER_REDELIVERY = Backoff(initial_s=1.0, max_s=60.0, jitter_s=0.5)


def reconnect_backoff(initial_s: float, max_s: float) -> Backoff:
    """The event listener's reconnect policy from its configured first and longest delay."""
    return Backoff(initial_s=initial_s, max_s=max_s, jitter_s=initial_s / 2)
