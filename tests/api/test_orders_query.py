"""The ``orders`` query: a shop's mirrored orders by (updatedAt, id), cursor pages, line items
nested (one statement per page), deleted orders hidden, bounded, and tenant-scoped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from starlette.applications import Starlette

from tests.support.api import api_client, connect_shop, graphql, token_for

pytestmark = pytest.mark.anyio

ORDERS = """
query Orders($shopId: ID!, $first: Int, $after: String, $since: DateTime, $items: Int) {
  orders(shopId: $shopId, first: $first, after: $after, updatedSince: $since) {
    id legacyResourceId name email updatedAt totalPrice currencyCode financialStatus tags cursor
    lineItems(first: $items) { id sku quantity originalUnitPrice }
  }
}
"""
BASE = datetime(2026, 3, 1, tzinfo=UTC)


def _gid(kind: str, n: int) -> str:
    return f"gid://shopify/{kind}/{n}"


def _insert_orders(conn: psycopg.Connection[Any], shop_id: int, count: int, items: int) -> None:
    """Orders 1..count, updated one minute apart (order n at BASE + n min), each with
    ``items`` line items."""
    for n in range(1, count + 1):
        conn.execute(
            "INSERT INTO orders (shop_id, id, legacy_resource_id, name, email, updated_at,"
            " total_price, currency_code, display_financial_status, tags, raw)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'EUR', 'PAID', %s, '{}')",
            (
                shop_id,
                _gid("Order", n),
                1000 + n,
                f"#{n}",
                f"buyer{n}@example.com",
                BASE + timedelta(minutes=n),
                f"{n}.10",
                ["vip"] if n == 1 else [],
            ),
        )
        for i in range(1, items + 1):
            conn.execute(
                "INSERT INTO line_items (shop_id, id, order_id, sku, quantity,"
                " original_unit_price, raw) VALUES (%s, %s, %s, %s, %s, %s, '{}')",
                (shop_id, _gid("LineItem", n * 100 + i), _gid("Order", n), f"SKU-{i}", i, "9.99"),
            )


@pytest.fixture
async def shop(client: httpx.AsyncClient, conn: psycopg.Connection[Any]) -> str:
    """Tenant A's shop with orders 1..5 of 2 line items each."""
    shop_id: str = (await connect_shop(client))["shop"]["id"]
    _insert_orders(conn, int(shop_id), count=5, items=2)
    return shop_id


async def _orders(client: httpx.AsyncClient, **variables: Any) -> list[dict[str, Any]]:
    body = await graphql(client, ORDERS, **variables)
    assert "errors" not in body, body
    orders: list[dict[str, Any]] = body["data"]["orders"]
    return orders


async def test_pages_follow_updated_at_and_end_short(client: httpx.AsyncClient, shop: str) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await _orders(client, shopId=shop, first=2, after=after)
        pages += 1
        seen += [order["id"] for order in page]
        if len(page) < 2:
            break
        after = page[-1]["cursor"]
    assert seen == [_gid("Order", n) for n in range(1, 6)]
    assert pages == 3

    since = await _orders(client, shopId=shop, since=(BASE + timedelta(minutes=4)).isoformat())
    assert [order["id"] for order in since] == [_gid("Order", 4), _gid("Order", 5)]


async def test_fields_money_and_nested_line_items(client: httpx.AsyncClient, shop: str) -> None:
    first = (await _orders(client, shopId=shop, first=1))[0]
    assert first["legacyResourceId"] == "1001"
    assert first["name"] == "#1" and first["email"] == "buyer1@example.com"
    assert first["totalPrice"] == "1.10"  # a decimal, as a string: no float rounding
    assert first["currencyCode"] == "EUR" and first["financialStatus"] == "PAID"
    assert first["tags"] == ["vip"]
    assert first["lineItems"] == [
        {"id": _gid("LineItem", 101), "sku": "SKU-1", "quantity": 1, "originalUnitPrice": "9.99"},
        {"id": _gid("LineItem", 102), "sku": "SKU-2", "quantity": 2, "originalUnitPrice": "9.99"},
    ]
    limited = await _orders(client, shopId=shop, first=1, items=1)
    assert [item["id"] for item in limited[0]["lineItems"]] == [_gid("LineItem", 101)]


async def test_deleted_orders_and_line_items_are_hidden(
    client: httpx.AsyncClient, shop: str, conn: psycopg.Connection[Any]
) -> None:
    conn.execute("UPDATE orders SET deleted_at = now() WHERE id = %s", (_gid("Order", 2),))
    conn.execute("UPDATE line_items SET deleted_at = now() WHERE id = %s", (_gid("LineItem", 302),))
    orders = await _orders(client, shopId=shop)
    assert [order["id"] for order in orders] == [_gid("Order", n) for n in (1, 3, 4, 5)]
    assert [item["id"] for item in orders[1]["lineItems"]] == [_gid("LineItem", 301)]


async def test_line_items_of_a_page_are_one_statement(
    app: Starlette, client: httpx.AsyncClient, shop: str
) -> None:
    service = app.state.services.orders
    real = service.line_items_of
    calls: list[list[str]] = []

    def counting(principal: Any, shop_id: int, order_ids: list[str], *, first: int) -> Any:
        calls.append(list(order_ids))
        return real(principal, shop_id, order_ids, first=first)

    service.line_items_of = counting  # the real use case, counted
    try:
        orders = await _orders(client, shopId=shop)
    finally:
        service.line_items_of = real
    assert len(orders) == 5 and all(len(order["lineItems"]) == 2 for order in orders)
    assert calls == [sorted(_gid("Order", n) for n in range(1, 6))]


async def test_another_tenant_sees_no_orders(
    app: Starlette, shop: str, database_url: str, conn: psycopg.Connection[Any]
) -> None:
    async with api_client(app, token_for(database_url, "tenant-b")) as other:
        assert await _orders(other, shopId=shop) == []
        # Even with a cursor of tenant A's page: it only places the page.
        own = (await connect_shop(other, "bravo.myshopify.com", "shpat_good_b"))["shop"]["id"]
        _insert_orders(conn, int(own), count=1, items=1)
        cursor = "b3JkZXI6fGdpZDovL3Nob3BpZnkvT3JkZXIvMA"  # order:|gid://shopify/Order/0
        theirs = await _orders(other, shopId=own, after=cursor)
        assert [order["lineItems"][0]["id"] for order in theirs] == [_gid("LineItem", 101)]


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"first": 0}, "BAD_USER_INPUT", "first"),
        ({"first": 501, "items": 1}, "BAD_USER_INPUT", "first"),
        ({"items": 0}, "BAD_USER_INPUT", "first"),
        ({"after": "not a cursor"}, "BAD_USER_INPUT", "after"),
        ({"first": 500, "items": 500}, "LIMIT_EXCEEDED", None),
    ],
)
async def test_bounds_are_typed_errors(
    client: httpx.AsyncClient, shop: str, variables: dict[str, Any], code: str, field: str | None
) -> None:
    body = await graphql(client, ORDERS, shopId=shop, **variables)
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, body
    if field is not None:
        assert error["extensions"]["field"] == field
