"""Tests for OrderStore: iteration order, filters, 60-day window, mutations, memory."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from simulator.search import parse_search
from simulator.store import OrderNotFound, OrderStore

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> OrderStore:
    return OrderStore(count=500, seed=11, now=NOW, clock=FakeClock(NOW))


def ids(orders: object) -> list[str]:
    return [o["id"] for o in orders]  # type: ignore[attr-defined]


def test_get_count_and_unknown(store: OrderStore) -> None:
    assert store.count() == 500
    assert store.get("gid://shopify/Order/1000001")["name"] == "#1001"  # type: ignore[index]
    assert store.get("gid://shopify/Order/1000501") is None
    assert store.get("nonsense") is None
    with pytest.raises(OrderNotFound):
        store.update_order("gid://shopify/Order/9999999", {})


@pytest.mark.parametrize("sort_key", ["CREATED_AT", "PROCESSED_AT", "UPDATED_AT", "ID"])
@pytest.mark.parametrize("reverse", [False, True])
def test_sort_keys_and_reverse(store: OrderStore, sort_key: str, reverse: bool) -> None:
    field = {"CREATED_AT": "createdAt", "PROCESSED_AT": "processedAt", "UPDATED_AT": "updatedAt"}
    orders = list(store.iter_orders(sort_key=sort_key, reverse=reverse))
    assert len(orders) == 500
    keys = [o[field[sort_key]] if sort_key in field else int(o["legacyResourceId"]) for o in orders]
    assert keys == sorted(keys, reverse=reverse)


def test_default_sort_is_processed_at_and_unknown_key_like_id(store: OrderStore) -> None:
    assert ids(store.iter_orders()) == ids(store.iter_orders(sort_key="PROCESSED_AT"))
    assert ids(store.iter_orders(sort_key="TOTAL_PRICE")) == ids(store.iter_orders(sort_key="ID"))


def test_search_filter_matches_bruteforce(store: OrderStore) -> None:
    text = "created_at:>=2025-06-01 updated_at:<2026-10-01 status:open -tag:vip"
    query = parse_search(text, now=NOW)
    expected = [o["id"] for o in store.iter_orders() if query.matches(o)]
    assert expected
    assert ids(store.iter_orders(query, sort_key="CREATED_AT")) == expected
    assert sorted(ids(store.iter_orders(query, sort_key="UPDATED_AT"))) == sorted(expected)


def test_id_range(store: OrderStore) -> None:
    query = parse_search("id:>=1000010 id:<1000013", now=NOW)
    assert ids(store.iter_orders(query, sort_key="ID")) == [
        "gid://shopify/Order/1000010",
        "gid://shopify/Order/1000011",
        "gid://shopify/Order/1000012",
    ]


def test_sixty_day_window_hides_old_orders(store: OrderStore) -> None:
    visible = list(store.iter_orders(read_all_orders=False))
    cutoff = (NOW - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 0 < len(visible) < 100
    assert all(o["createdAt"] >= cutoff for o in visible)
    everything = [o for o in store.iter_orders() if o["createdAt"] >= cutoff]
    assert ids(visible) == ids(everything)


def test_create_update_cancel_delete_touch() -> None:
    clock = FakeClock(NOW + timedelta(hours=1))
    store = OrderStore(count=50, seed=1, now=NOW, clock=clock)
    created = store.create_order({"email": "new@example.com"})
    assert created["id"] == "gid://shopify/Order/1000051"
    assert created["createdAt"] == created["updatedAt"] == "2026-11-15T13:00:00Z"
    assert store.count() == 51
    assert ids(store.iter_orders(sort_key="CREATED_AT"))[-1] == created["id"]

    clock.now += timedelta(minutes=5)
    updated = store.update_order("gid://shopify/Order/1000003", {"note": "hi"})
    assert updated["note"] == "hi" and updated["updatedAt"] == "2026-11-15T13:05:00Z"
    assert ids(store.iter_orders(sort_key="UPDATED_AT"))[-1] == "gid://shopify/Order/1000003"
    # Updating does not move the order in CREATED_AT order.
    assert ids(store.iter_orders(sort_key="CREATED_AT"))[2] == "gid://shopify/Order/1000003"

    cancelled = store.cancel_order("gid://shopify/Order/1000004", reason="FRAUD")
    assert cancelled["cancelReason"] == "FRAUD" and cancelled["closed"] is True
    assert cancelled["cancelledAt"] == "2026-11-15T13:05:00Z"
    cancelled_ids = ids(store.iter_orders(parse_search("status:cancelled", now=NOW)))
    assert "gid://shopify/Order/1000004" in cancelled_ids

    store.delete_order("gid://shopify/Order/1000005")
    assert store.get("gid://shopify/Order/1000005") is None
    assert "gid://shopify/Order/1000005" not in ids(store.iter_orders())
    assert store.count() == 50

    touched = store.touch("gid://shopify/Order/1000006", NOW - timedelta(days=1000))
    assert touched["updatedAt"] == "2024-02-19T12:00:00Z"
    assert ids(store.iter_orders(sort_key="UPDATED_AT"))[0] == "gid://shopify/Order/1000006"
    explicit = store.update_order(
        "gid://shopify/Order/1000007", {"updatedAt": "2026-11-20T00:00:00+00:00"}
    )
    assert explicit["updatedAt"] == "2026-11-20T00:00:00Z"


def test_mutate_random_is_deterministic() -> None:
    def run() -> dict[str, list[str]]:
        store = OrderStore(count=100, seed=9, now=NOW, clock=FakeClock(NOW))
        return store.mutate_random(update=5, create=3, seed=42)

    first = run()
    assert first == run()
    assert len(first["updated"]) == 5 and len(set(first["updated"])) == 5
    assert first["created"] == [f"gid://shopify/Order/{1000101 + i}" for i in range(3)]


def test_store_iteration_deterministic_for_seed() -> None:
    a = OrderStore(count=200, seed=3, now=NOW)
    b = OrderStore(count=200, seed=3, now=NOW)
    assert list(a.iter_orders(sort_key="UPDATED_AT")) == list(b.iter_orders(sort_key="UPDATED_AT"))


def test_default_clock_starts_at_now() -> None:
    store = OrderStore(count=1, seed=1, now=NOW)
    assert NOW <= store.clock() < NOW + timedelta(minutes=1)


@pytest.mark.slow
def test_million_orders_with_created_at_filter_is_memory_flat() -> None:
    store = OrderStore(count=1_000_000, seed=1, now=NOW, clock=FakeClock(NOW))
    query = parse_search(
        "created_at:>='2026-11-01T00:00:00Z' AND created_at:<'2026-11-03T00:00:00Z'", now=NOW
    )
    tracemalloc.start()
    try:
        count = sum(1 for _ in store.iter_orders(query, sort_key="CREATED_AT"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 2000 < count < 3500
    assert peak < 2_000_000


@pytest.mark.slow
def test_million_orders_full_scan_is_memory_flat() -> None:
    store = OrderStore(count=1_000_000, seed=1, now=NOW, clock=FakeClock(NOW))
    query = parse_search("updated_at:>='2026-11-14T00:00:00Z'", now=NOW)
    tracemalloc.start()
    try:
        count = sum(1 for _ in store.iter_orders(query, sort_key="UPDATED_AT"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 0
    assert peak < 5_000_000
