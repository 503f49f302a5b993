"""Order metafields in the simulator: 0 to 3 per order (deterministic), the ``metafields`` filters
and ``metafield(namespace:, key:)`` in regular queries and in bulk JSONL (child lines)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from simulator.bulkquery import compile_bulk_query
from simulator.render import iter_result_lines
from simulator.server import SimulatorServer
from simulator.store import OrderStore
from tests.support.simulator_api import TOKEN, Api, make_config

NOW = datetime(2026, 6, 1, tzinfo=UTC)
NODE = "id legacyResourceId namespace key value jsonValue type description ownerType createdAt"


def _store() -> OrderStore:
    return OrderStore(count=200, seed=21, now=NOW, clock=lambda: NOW)


def _export(arguments: str, layout: str) -> list[dict[str, Any]]:
    plan = compile_bulk_query(
        f'{{ orders {{ edges {{ node {{ id metafield(namespace: "erp", key: "export_id") '
        f"{{ value }} metafields{arguments} {{ edges {{ node {{ {NODE} }} }} }} }} }} }} }}"
    )
    lines = iter_result_lines(plan, _store(), layout=layout, seed=3)
    return [json.loads(line) for line in lines]


def test_every_order_has_zero_to_three_generated_the_same_every_time() -> None:
    counts = Counter(len(order["metafields"]) for order in _store().iter_orders())
    assert set(counts) == {0, 1, 2, 3}, counts
    first = [o["metafields"] for o in _store().iter_orders()]
    assert first == [o["metafields"] for o in _store().iter_orders()]


@pytest.mark.parametrize("layout", ["grouped", "ungrouped"])
def test_bulk_lines_are_children_of_their_order(layout: str) -> None:
    store = _store()
    lines = _export("", layout)
    children = [line for line in lines if "__parentId" in line]
    orders = {line["id"]: line for line in lines if "__parentId" not in line}
    assert len(orders) == 200
    expected = {
        m["id"]: (order["id"], m) for order in store.iter_orders() for m in order["metafields"]
    }
    assert {line["id"] for line in children} == set(expected)
    for line in children:
        parent, metafield = expected[line["id"]]
        assert line["__parentId"] == parent
        assert line == {**{k: metafield[k] for k in NODE.split()}, "__parentId": parent}
        assert line["ownerType"] == "ORDER" and line["id"].startswith("gid://shopify/Metafield/")
    # metafield(namespace:, key:) is the order's own, or null.
    for order_id, line in orders.items():
        own = [m for _p, m in expected.values() if _p == order_id and m["key"] == "export_id"]
        assert line["metafield"] == ({"value": own[0]["value"]} if own else None)
    if layout == "grouped":  # each order's children right after it
        current = None
        for line in lines:
            if "__parentId" in line:
                assert line["__parentId"] == current
            else:
                current = line["id"]


def test_bulk_filters_are_honoured() -> None:
    by_namespace = [line for line in _export('(namespace: "custom")', "grouped") if "key" in line]
    assert by_namespace and {line["namespace"] for line in by_namespace} == {"custom"}
    by_keys = [line for line in _export('(keys: ["erp.export_id"])', "grouped") if "key" in line]
    assert by_keys and {line["key"] for line in by_keys} == {"export_id"}


def test_regular_queries_filter_page_and_look_up() -> None:
    config = make_config()
    with (
        SimulatorServer(config) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=30
        ) as client,
    ):
        api = Api(client)
        body = api.gql(
            "{ orders(first: 40) { edges { node { id "
            "all: metafields(first: 5) { edges { node { namespace key jsonValue } } } "
            'custom: metafields(first: 5, namespace: "custom") { edges { node { key } } } '
            "one: metafields(first: 1) { edges { node { key } } } "
            'wrap: metafield(namespace: "custom", key: "gift_wrap") { value jsonValue } '
            'none: metafield(key: "gift_wrap") { value } } } } }'
        )
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert max(len(node["all"]["edges"]) for node in nodes) >= 2
    for node in nodes:
        every = [edge["node"] for edge in node["all"]["edges"]]
        custom = [edge["node"]["key"] for edge in node["custom"]["edges"]]
        assert custom == [m["key"] for m in every if m["namespace"] == "custom"]
        assert len(node["one"]["edges"]) == min(1, len(every))
        wrap = [m for m in every if m["key"] == "gift_wrap"]
        if wrap:
            assert node["wrap"]["jsonValue"] is wrap[0]["jsonValue"]
            assert node["wrap"]["value"] == json.dumps(wrap[0]["jsonValue"])
        else:
            assert node["wrap"] is None
        assert node["none"] is None  # no namespace: the app's own, which none uses
