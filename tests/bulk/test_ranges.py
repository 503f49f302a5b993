"""Planning a job's created_at ranges (bulk/ranges.py) and the search each range exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bulk.errors import ConfigurationError
from bulk.orders_query import CreatedRange, orders_arguments
from bulk.ranges import operations_by_size, plan_ranges
from bulk.types import SyncMode

EARLIEST = datetime(2021, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
UNTIL = datetime(2026, 11, 29, 18, 0, 0, 123_000, tzinfo=UTC)


def test_five_equal_spans_open_at_both_ends_sharing_whole_second_bounds() -> None:
    planned = plan_ranges(EARLIEST, UNTIL, 5)
    assert len(planned) == 5
    assert planned[0].start is None and planned[-1].end is None
    bounds = [r.end for r in planned[:-1]]
    assert bounds == [r.start for r in planned[1:]]
    assert all(b is not None and b.microsecond == 0 for b in bounds)
    span = (UNTIL - EARLIEST) / 5
    for index, bound in enumerate(bounds, start=1):
        assert bound is not None
        assert abs(bound - (EARLIEST + span * index)) < timedelta(seconds=2)


@pytest.mark.parametrize(
    ("earliest", "count"),
    [(None, 5), (EARLIEST, 1), (UNTIL, 5), (UNTIL - timedelta(seconds=1), 5)],
)
def test_nothing_to_split_is_one_open_range(earliest: datetime | None, count: int) -> None:
    assert plan_ranges(earliest, UNTIL, count) == [CreatedRange()]


def test_a_short_span_gets_fewer_ranges_never_an_empty_or_repeated_bound() -> None:
    planned = plan_ranges(UNTIL - timedelta(seconds=3), UNTIL, 5)
    bounds = [r.end for r in planned[:-1]]
    assert 1 < len(planned) <= 4 and len(set(bounds)) == len(bounds)


def test_a_range_is_anded_to_the_modes_filter() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    created = CreatedRange(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert orders_arguments(SyncMode.POPULATE, since, created) == (
        "query: \"created_at:>='2026-01-01T00:00:00Z' AND created_at:>='2026-02-01T00:00:00Z'"
        " AND created_at:<'2026-03-01T00:00:00Z'\", sortKey: CREATED_AT"
    )
    assert orders_arguments(SyncMode.FULL, None, CreatedRange(end=since)) == (
        "query: \"created_at:<'2026-01-01T00:00:00Z'\", sortKey: CREATED_AT"
    )
    # Whole jobs export what they always did.
    assert orders_arguments(SyncMode.FULL, None) == "sortKey: CREATED_AT"
    with pytest.raises(ConfigurationError):
        orders_arguments(SyncMode.UPDATE, since, created)


@pytest.mark.parametrize(
    ("orders", "operations"),
    [
        (0, 1),  # an empty window: one operation (it exports nothing)
        (24_999, 1),
        (25_000, 1),  # one operation's worth
        (49_999, 1),
        (50_000, 2),  # two operations' worth
        (62_500, 2),  # 2.5x
        (124_999, 4),
        (125_000, 5),  # an AT_LEAST answer at the limit asked (5 x 25,000)
        (10**9, 5),
    ],
)
def test_operations_by_size_one_per_minimum_between_one_and_the_most(
    orders: int, operations: int
) -> None:
    assert operations_by_size(orders, min_per_operation=25_000, most=5) == operations
    assert operations_by_size(orders, min_per_operation=25_000, most=1) == 1
