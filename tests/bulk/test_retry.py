"""The retry policy: jittered, growing to its cap, never shorter than a server's wait."""

from __future__ import annotations

import pytest
import stamina

from bulk.retry import CRASHED_STEP, SHOPIFY_REQUEST, TRANSIENT_STEP, Backoff, reconnect_backoff

POLICY = Backoff(initial_s=1.0, max_s=20.0, jitter_s=0.5)


def test_delays_are_jittered_within_their_bounds() -> None:
    first = [POLICY.delay_s(n) for n in range(1, 9)]
    second = [POLICY.delay_s(n) for n in range(1, 9)]
    assert first != second  # two runs spread apart
    for n, delay in enumerate(first, start=1):
        assert POLICY.floor_s(n) <= delay <= min(POLICY.floor_s(n) + 0.5, 20.0)


def test_delays_grow_to_the_cap_and_stay_there() -> None:
    delays = [POLICY.delay_s(n) for n in range(1, 12)]
    assert delays[:4] == sorted(delays[:4]) and len(set(delays[:4])) == 4  # 1, 2, 4, 8 (+jitter)
    assert delays[-3:] == [20.0, 20.0, 20.0]
    assert POLICY.delay_s(10_000) == 20.0  # no overflow on a very long outage


def test_a_server_wait_is_honoured_even_past_the_cap() -> None:
    assert POLICY.delay_s(1, server_wait_s=7.5) >= 7.5
    assert POLICY.delay_s(30, server_wait_s=90.0) >= 90.0
    assert 7.5 <= POLICY.server_delay_s(7.5) <= 8.0


def test_the_workflow_keeps_todays_caps() -> None:
    assert TRANSIENT_STEP.delay_s(50) == 300.0 and CRASHED_STEP.delay_s(50) == 60.0
    assert SHOPIFY_REQUEST.delay_s(50) == 10.0
    assert reconnect_backoff(0.5, 15.0).delay_s(50) == 15.0


def test_stamina_uses_the_policy_and_the_hooks_server_wait() -> None:
    fast = Backoff(initial_s=0.01, max_s=0.04, jitter_s=0.005)
    waits: list[float] = []
    stamina.instrumentation.set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    try:
        answers = iter([True, True, 0.05])  # two policy backoffs, then a server-given wait

        def on(_exc: Exception) -> bool | float:
            return next(answers)

        for attempt in fast.retry_context(on, attempts=4):
            with attempt:
                if attempt.num < 4:
                    raise ValueError("try again")
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert 0.01 <= waits[0] <= 0.015 and 0.02 <= waits[1] <= 0.025
    assert waits[2] == pytest.approx(0.05)  # the server's wait, as given (float arithmetic)


def test_stamina_testing_mode_removes_the_waits() -> None:
    calls = 0
    with stamina.set_testing(True, attempts=3):
        for attempt in SHOPIFY_REQUEST.retry_context(lambda _exc: 5.0, attempts=10):
            with attempt:
                calls += 1
                if calls < 3:
                    raise ValueError("try again")
    assert calls == 3  # and no 5 s sleeps: the suite would notice
