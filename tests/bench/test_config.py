"""``make bench``'s configuration: scaled sizes, chosen sections, bounded values."""

from __future__ import annotations

import pytest

from bench.config import MAX_ORDERS, SECTIONS, load


def test_defaults_are_the_issue_sizes_and_every_section() -> None:
    config = load({})
    assert (config.orders, config.large_orders, config.update_base_orders) == (
        60_000,
        600_000,
        1_000_000,
    )
    assert (config.shops, config.shop_orders, config.many_workers, config.many_threads) == (
        20,
        20_000,
        2,
        4,
    )
    assert config.sections == SECTIONS


def test_the_scale_multiplies_order_counts_only() -> None:
    config = load({"BENCH_SCALE": "0.01", "BENCH_ORDERS": "1000"})
    assert (config.orders, config.large_orders, config.shop_orders) == (10, 6_000, 200)
    assert (config.shops, config.jobs, config.updated_orders) == (20, 20, 100)


def test_only_and_skip_pick_sections_in_run_order() -> None:
    picked = load({"BENCH_ONLY": "many_shops,populate", "BENCH_SKIP": "populate"})
    assert picked.sections == ("many_shops",)
    assert "large" not in load({"BENCH_SKIP": "large"}).sections
    with pytest.raises(ValueError, match="unknown bench section"):
        load({"BENCH_ONLY": "everything"})


@pytest.mark.parametrize(
    "env",
    [
        {"BENCH_ORDERS": str(MAX_ORDERS + 1)},
        {"BENCH_SHOPS": "0"},
        {"BENCH_JOBS": "100000"},
        {"BENCH_SCALE": "0"},
    ],
)
def test_sizes_are_bounded(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        load(env)
