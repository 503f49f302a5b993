"""When to poll a running bulk operation next: soon after submit, then a share of its run time."""

from __future__ import annotations

# A finished operation is noticed within max(floor, share * its run time so far), plus one poll's
# latency, so a long operation never waits on a long back-off gap and a short one is seen at once.

# The cost of polling: one ``bulkOperation`` query costs 1 point of Shopify's cost bucket, which
# refills at 50 points/s on standard plans (100+ on Plus). With a 1.5 s floor and a 4 % share, an
# operation polls every 1.5 s for its first 37.5 s (0.67 points/s, 1.3 % of the refill), then each
# gap is 4 % of the time so far: n polls take the run time from 37.5 s to 37.5 * 1.04^n s, so an
# hour costs 25 + ln(3600 / 37.5) / ln(1.04) ≈ 141 points (0.04 points/s, under 0.1 % of the
# refill). The ceiling caps the gap of a days-long operation (more polls, still negligible).


def poll_delay_s(since_submit_s: float, *, floor_s: float, share: float, ceiling_s: float) -> float:
    """The delay before the next poll of an operation submitted ``since_submit_s`` ago."""
    return min(max(floor_s, share * max(since_submit_s, 0.0)), max(ceiling_s, floor_s))
