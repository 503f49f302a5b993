"""Audit: order search inside bulk queries over HTTP: filters, sort keys, the 60-day window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from simulator.config import ShopConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, TOKEN, Api, make_config

FIELDS = "id createdAt updatedAt processedAt closed cancelledAt displayFinancialStatus"


def _export(api: Api, args: str, **kw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    inner = f"{{ orders({args}) {{ edges {{ node {{ {FIELDS} }} }} }} }}"
    body = api.gql(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } "
        "userErrors { message } } }",
        {"q": inner},
        **kw,
    )
    op = api.wait(body["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"])
    if op["url"] is None:
        return body, []
    with httpx.Client() as plain:
        return body, [json.loads(line) for line in plain.get(op["url"]).text.splitlines()]


def _all(api: Api) -> list[dict[str, Any]]:
    return _export(api, "sortKey: ID")[1]


def _number(row: dict[str, Any]) -> int:
    return int(row["id"].rsplit("/", 1)[-1])


def test_id_range_status_and_boolean_connectives(api: Api) -> None:
    every = _all(api)
    assert len(every) == 200
    _, rows = _export(api, 'query: "id:>=1000010 id:<1000020", sortKey: ID')
    assert [_number(r) for r in rows] == list(range(1000010, 1000020))
    _, rows = _export(api, 'query: "status:closed OR status:cancelled"')
    expected = {r["id"] for r in every if r["closed"] or r["cancelledAt"]}
    assert {r["id"] for r in rows} == expected and expected
    _, rows = _export(api, 'query: "NOT financial_status:paid AND -status:closed"')
    expected = {r["id"] for r in every if r["displayFinancialStatus"] != "PAID" and not r["closed"]}
    assert {r["id"] for r in rows} == expected and expected


@pytest.mark.parametrize("field", ["created_at", "updated_at", "processed_at"])
def test_time_filters_quoted_and_unquoted_with_matching_sort(api: Api, field: str) -> None:
    key = {"created_at": "createdAt", "updated_at": "updatedAt", "processed_at": "processedAt"}[
        field
    ]
    every = _all(api)
    pivot = sorted(r[key] for r in every)[150]
    day = pivot[:10]
    quoted = f"query: \"{field}:>='{pivot}'\", sortKey: {field.upper()}"
    _, rows = _export(api, quoted)
    assert [r[key] for r in rows] == sorted(r[key] for r in every if r[key] >= pivot)
    _, rows = _export(api, f'query: "{field}:<{day}", sortKey: {field.upper()}, reverse: true')
    assert [r[key] for r in rows] == sorted((r[key] for r in every if r[key] < day), reverse=True)


def test_unknown_field_returns_everything_and_warns_only_with_debug(api: Api) -> None:
    plain, rows = _export(api, 'query: "no_such_field:1"')
    assert len(rows) == 200 and "search" not in plain["extensions"]
    debug, _ = _export(api, 'query: "no_such_field:1"', headers={"Shopify-Search-Query-Debug": "1"})
    (search,) = debug["extensions"]["search"]
    assert search["query"] == "no_such_field:1"
    assert search["warnings"] == [
        {"field": "no_such_field", "message": "Invalid search field for this query."}
    ]


def test_sixty_day_window_applies_to_bulk_and_normal_queries() -> None:
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=300, seed=3, scopes=("read_orders",))
    with (
        SimulatorServer(make_config(shops=[shop])) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as c,
    ):
        api = Api(c)
        rows = _all(api)
        cutoff = (datetime.now(UTC) - timedelta(days=60, minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert 0 < len(rows) < 300 and all(r["createdAt"] >= cutoff for r in rows)
        old = api.gql('{ order(id: "gid://shopify/Order/1000001") { id } }')
        assert old["data"]["order"] is None and "errors" not in old
        c.patch(f"/_sim/shops/{SHOP}", json={"scopes": ["read_orders", "read_all_orders"]})
        assert len(_all(api)) == 300
