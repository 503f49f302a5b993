"""Reading the mirror's tables back, and checking them against what the simulator holds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row


def read_mirror(database_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        orders = {row["id"]: row for row in conn.execute("SELECT * FROM orders")}
        items = {row["id"]: row for row in conn.execute("SELECT * FROM line_items")}
    return orders, items


def assert_mirror(database_url: str, shopify: dict[str, dict[str, Any]]) -> None:
    """The database holds exactly Shopify's orders and line items, field for field."""
    orders, items = read_mirror(database_url)
    assert set(orders) == set(shopify)
    expected_items = {
        item["id"]: (order_id, item)
        for order_id, order in shopify.items()
        for item in order["lineItems"]
    }
    assert set(items) == set(expected_items)
    for order_id, order in shopify.items():
        row = orders[order_id]
        assert row["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == order["updatedAt"]
        assert row["name"] == order["name"]
        assert row["email"] == order["email"]
        assert row["total_price"] == Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        assert row["raw"]["updatedAt"] == order["updatedAt"]
    for item_id, (order_id, item) in expected_items.items():
        assert items[item_id]["order_id"] == order_id
        assert items[item_id]["quantity"] == item["quantity"]
        assert items[item_id]["title"] == item["title"]
