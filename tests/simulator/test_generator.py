"""Tests for the deterministic lazy order generator."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from simulator.generator import OrderGenerator, index_of_gid, money, order_gid, parse_ts

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def test_same_seed_same_order_and_independent_of_other_indices() -> None:
    a = OrderGenerator(count=100, seed=5, now=NOW)
    b = OrderGenerator(count=100, seed=5, now=NOW)
    assert a.order(42) == b.order(42)
    _ = [a.order(i) for i in range(10)]
    assert a.order(42) == b.order(42)
    assert OrderGenerator(count=100, seed=6, now=NOW).order(42) != a.order(42)


def test_created_at_increases_with_index_and_spans_two_years() -> None:
    gen = OrderGenerator(count=1000, seed=1, now=NOW)
    created = [gen.created_ts(i) for i in range(1000)]
    assert created == sorted(created)
    assert len(set(created)) == 1000
    assert created[-1] <= int(NOW.timestamp())
    assert int(NOW.timestamp()) - created[0] > 700 * 86_400


def test_updated_at_not_before_created_and_not_after_now() -> None:
    gen = OrderGenerator(count=2000, seed=2, now=NOW)
    for i in range(2000):
        order = gen.order(i)
        assert order["createdAt"] <= order["updatedAt"] <= "2026-11-15T12:00:00Z"
        assert parse_ts(order["updatedAt"]) == gen.updated_ts(i)


def test_order_shape() -> None:
    order = OrderGenerator(count=10, seed=3, now=NOW).order(0)
    assert order["id"] == "gid://shopify/Order/1000001"
    assert order["legacyResourceId"] == "1000001"
    assert order["name"] == "#1001"
    assert order["createdAt"].endswith("Z") and len(order["createdAt"]) == 20
    assert set(order["totalPriceSet"]) == {"shopMoney", "presentmentMoney"}
    assert isinstance(order["totalPriceSet"]["shopMoney"]["amount"], str)
    assert 1 <= len(order["lineItems"]) <= 5
    assert order["lineItems"][0]["id"].startswith("gid://shopify/LineItem/")
    assert isinstance(order["refunds"], list) and isinstance(order["fulfillments"], list)


def test_variety_nulls_unicode_and_empty_tags() -> None:
    gen = OrderGenerator(count=3000, seed=4, now=NOW)
    orders = [gen.order(i) for i in range(3000)]
    assert any(o["displayFinancialStatus"] is None for o in orders)
    assert any(o["email"] is None for o in orders)
    assert any(o["customer"] is None for o in orders)
    assert any(o["tags"] == [] for o in orders) and any(o["tags"] for o in orders)
    assert any(o["cancelledAt"] is not None for o in orders)
    notes = [o["note"] for o in orders if o["note"]]
    assert any("\n" in n for n in notes) and any("\\" in n for n in notes)
    assert any('"' in n for n in notes)
    text = json.dumps(orders, ensure_ascii=False)
    assert "🎉" in text or "🎂" in text
    items = [li for o in orders for li in o["lineItems"]]
    assert any(li["sku"] is None for li in items)


def test_money_amounts_not_zero_padded() -> None:
    assert money(1250, "USD", None)["shopMoney"]["amount"] == "12.5"
    assert money(0, "USD", None)["shopMoney"]["amount"] == "0.0"
    assert money(2598, "EUR", None)["shopMoney"] == {"amount": "25.98", "currencyCode": "EUR"}


def test_gid_round_trip() -> None:
    assert index_of_gid(order_gid(17)) == 17
    assert index_of_gid("gid://shopify/Order/abc") is None
    assert index_of_gid("gid://shopify/Order/5") is None


def test_rich_details_are_deterministic_to_the_byte() -> None:
    a = OrderGenerator(count=500, seed=9, now=NOW)
    b = OrderGenerator(count=500, seed=9, now=NOW)
    forward = [json.dumps(a.order(i), ensure_ascii=False).encode() for i in range(500)]
    backward = [json.dumps(b.order(i), ensure_ascii=False).encode() for i in range(499, -1, -1)]
    assert forward == backward[::-1]  # same bytes, whatever order they are generated in
    assert b'"billingAddress"' in forward[0] and b'"discountApplications"' in forward[0]


def test_a_customer_is_the_same_person_on_each_of_its_orders() -> None:
    gen = OrderGenerator(count=3000, seed=4, now=NOW)
    seen: dict[str, dict[str, object]] = {}
    repeats = 0
    for i in range(3000):
        customer = gen.order(i)["customer"]
        if customer is None:
            continue
        if customer["id"] in seen:
            repeats += 1
            assert seen[customer["id"]] == customer
        seen[customer["id"]] = customer
    assert repeats > 0


def test_money_figures_add_up() -> None:
    gen = OrderGenerator(count=2000, seed=8, now=NOW)

    def cents(bag: dict[str, dict[str, str]] | None) -> int:
        return 0 if bag is None else round(float(bag["shopMoney"]["amount"]) * 100)

    for i in range(2000):
        order = gen.order(i)
        items = order["lineItems"]
        allocated = sum(
            cents(a["allocatedAmountSet"]) for item in items for a in item["discountAllocations"]
        )
        assert allocated == cents(order["totalDiscountsSet"])
        assert cents(order["totalPriceSet"]) == cents(order["subtotalPriceSet"]) + cents(
            order["totalShippingPriceSet"]
        ) + cents(order["totalTaxSet"])
        assert sum(cents(t["priceSet"]) for t in order["taxLines"]) == cents(order["totalTaxSet"])
        shipping = sum(cents(line["originalPriceSet"]) for line in order["shippingLines"])
        assert shipping == cents(order["totalShippingPriceSet"])
        assert (order["shippingAddress"] is None) == (order["shippingLine"] is None)
        if order["displayFinancialStatus"] == "REFUNDED":
            assert all(item["currentQuantity"] == 0 for item in items)
        if order["displayFinancialStatus"] in ("REFUNDED", "PARTIALLY_REFUNDED"):
            (refund,) = order["refunds"]
            assert refund["refundLineItems"]
            for line in refund["refundLineItems"]:
                item = line["lineItem"]
                assert line["quantity"] == item["quantity"] - item["currentQuantity"] > 0
        placed = sum(f["totalQuantity"] for f in order["fulfillments"])
        assert placed <= sum(item["currentQuantity"] for item in items)
        assert order["fulfillmentsCount"]["count"] == len(order["fulfillments"])
