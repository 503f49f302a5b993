"""``ordersCount(query:, limit:)``: the orders the ``orders`` connection would list for the same
search, capped by ``limit`` (AT_LEAST), costed like a regular query and logged by its field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, Api

COUNT = (
    "query OrdersCount($query: String, $limit: Int) { "
    "ordersCount(query: $query, limit: $limit) { count precision } }"
)
PAGE = (
    "query Page($after: String, $q: String) { "
    "orders(first: 250, after: $after, sortKey: CREATED_AT, query: $q) { "
    "edges { node { id createdAt updatedAt } } pageInfo { hasNextPage endCursor } } }"
)


def _orders(api: Api, query: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = None
    while True:
        page = api.gql(PAGE, {"after": after, "q": query})["data"]["orders"]
        out += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def _count(api: Api, query: str | None, **limit: int | None) -> dict[str, Any]:
    body = api.gql(COUNT, {"query": query, **limit})
    assert "errors" not in body, body
    counted: dict[str, Any] = body["data"]["ordersCount"]
    return counted


def test_counts_what_the_orders_connection_lists_for_the_same_search(api: Api) -> None:
    orders = _orders(api)
    assert len(orders) == 200
    assert _count(api, None) == {"count": 200, "precision": "EXACT"}
    created = sorted(order["createdAt"] for order in orders)
    low, high = created[40], created[150]
    window = f"created_at:>='{low}' AND created_at:<'{high}'"
    expected = sum(1 for order in orders if low <= order["createdAt"] < high)
    assert 0 < expected < 200
    assert _count(api, window) == {"count": expected, "precision": "EXACT"}
    updated = sorted(order["updatedAt"] for order in orders)[100]
    expected = sum(1 for order in orders if order["updatedAt"] >= updated)
    assert _count(api, f"updated_at:>='{updated}'") == {"count": expected, "precision": "EXACT"}
    # Fields the time index does not answer are checked order by order, as the listing does.
    search = "financial_status:paid OR status:closed"
    listed = len(_orders(api, search))
    assert 0 < listed < 200
    assert _count(api, search) == {"count": listed, "precision": "EXACT"}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (50, {"count": 50, "precision": "AT_LEAST"}),
        (200, {"count": 200, "precision": "EXACT"}),  # exactly the limit: nothing was left out
        (None, {"count": 200, "precision": "EXACT"}),  # null: no limit
        (0, {"count": 0, "precision": "AT_LEAST"}),
    ],
)
def test_the_limit_caps_the_count_as_at_least(
    api: Api, limit: int | None, expected: dict[str, Any]
) -> None:
    assert _count(api, None, limit=limit) == expected


def test_the_default_limit_is_ten_thousand_and_a_negative_one_is_refused(api: Api) -> None:
    body = api.gql("{ ordersCount { count precision } }")
    assert body["data"]["ordersCount"]["count"] == 200  # under 10,000: not capped
    body = api.gql("{ ordersCount(limit: -1) { count } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_orders_created_later_are_counted(api: Api, client: httpx.Client) -> None:
    created = client.post(f"/_sim/shops/{SHOP}/orders", json={"fields": {}})
    assert created.status_code == 201
    assert _count(api, None)["count"] == 201
    since = created.json()["createdAt"]
    assert _count(api, f"created_at:>='{since}'") == {"count": 1, "precision": "EXACT"}


def test_costs_one_point_and_is_logged_by_its_field(api: Api, server: SimulatorServer) -> None:
    body = api.gql(COUNT, {"query": None, "limit": 10})
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1
    assert body["extensions"]["cost"]["actualQueryCost"] == 1
    with httpx.Client(base_url=server.base_url) as plain:
        records = plain.get("/_sim/requests", params={"kind": "query"}).json()
    assert [record["fields"] for record in records] == [["ordersCount"]]
