"""Operation lifecycle: validation, cancel, zero results, search debug, scopes, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from simulator.config import ShopConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, TOKEN, Api, make_config

CANCEL = (
    "mutation($id: ID!) { bulkOperationCancel(id: $id) { "
    "bulkOperation { id status completedAt url } userErrors { field message } } }"
)


@pytest.fixture
def slow_api() -> Iterator[Api]:
    """An API whose operations stay RUNNING for a few seconds."""
    with (
        SimulatorServer(make_config(run_seconds=5.0)) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        yield Api(client)


def test_invalid_inner_query_gives_user_errors(api: Api) -> None:
    payload = api.run("{ shop { id } }")
    assert payload["bulkOperation"] is None
    assert payload["userErrors"] == [
        {
            "field": ["query"],
            "message": "Bulk queries must contain at least one connection.",
            "code": "INVALID",
        }
    ]


def test_cancel_running_then_canceled(slow_api: Api) -> None:
    op = slow_api.run()["bulkOperation"]
    slow_api.wait(op["id"], lambda o: o["status"] == "RUNNING")
    canceled = slow_api.gql(CANCEL, {"id": op["id"]})["data"]["bulkOperationCancel"]
    assert canceled["userErrors"] == []
    assert canceled["bulkOperation"]["status"] == "CANCELING"
    final = slow_api.wait(op["id"])
    assert final["status"] == "CANCELED"
    assert final["completedAt"] is None and final["fileSize"] is None


def test_cancel_completed_and_unknown(api: Api) -> None:
    op = api.run()["bulkOperation"]
    done = api.wait(op["id"])
    result = api.gql(CANCEL, {"id": op["id"]})["data"]["bulkOperationCancel"]
    assert result["bulkOperation"]["status"] == "COMPLETED"
    assert result["bulkOperation"]["url"] == done["url"]
    assert result["userErrors"] == [
        {"field": None, "message": "A bulk operation cannot be canceled when it is completed"}
    ]
    unknown = api.gql(CANCEL, {"id": "gid://shopify/BulkOperation/9999999999999"})
    assert unknown["data"]["bulkOperationCancel"] == {
        "bulkOperation": None,
        "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
    }
    assert unknown["extensions"]["cost"]["requestedQueryCost"] == 10


def test_zero_matches_has_null_url(api: Api) -> None:
    inner = '{ orders(query: "created_at:<1990-01-01") { edges { node { id } } } }'
    op = api.wait(api.run(inner)["bulkOperation"]["id"])
    assert op["status"] == "COMPLETED"
    assert op["objectCount"] == "0" and op["url"] is None and op["fileSize"] is None


def test_search_warnings_only_with_debug_header(api: Api) -> None:
    inner = '{ orders(query: "bogus_field:1") { edges { node { id } } } }'
    plain = api.gql(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } } }",
        {"q": inner},
    )
    assert "search" not in plain["extensions"]
    api.wait(plain["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"])
    debug = api.gql(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } } }",
        {"q": inner},
        headers={"Shopify-Search-Query-Debug": "1"},
    )
    warnings = debug["extensions"]["search"][0]["warnings"]
    assert warnings == [{"field": "bogus_field", "message": "Invalid search field for this query."}]
    op = api.wait(debug["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"])
    assert op["rootObjectCount"] == "200"  # unknown fields are ignored: everything matches


def test_without_read_all_orders_old_orders_are_hidden() -> None:
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=300, seed=3, scopes=("read_orders",))
    with (
        SimulatorServer(make_config(shops=[shop])) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        api = Api(client)
        op = api.wait(api.run()["bulkOperation"]["id"])
        assert 0 < int(op["rootObjectCount"]) < 300
        with httpx.Client() as plain:
            lines = plain.get(op["url"]).text.splitlines()
        cutoff = datetime.now(UTC) - timedelta(days=60, minutes=5)
        for line in lines:
            if '"createdAt"' in line and "__parentId" not in line:
                created = line.split('"createdAt":"')[1][:20]
                assert datetime.fromisoformat(created.replace("Z", "+00:00")) >= cutoff


def test_status_expires_with_url(server: SimulatorServer, api: Api, client: httpx.Client) -> None:
    op = api.wait(api.run()["bulkOperation"]["id"])
    client.post("/_sim/clock", json={"advance_seconds": 7 * 86400 + 1})
    expired = api.poll(op["id"])
    assert expired["status"] == "EXPIRED"
    with httpx.Client() as plain:
        assert plain.get(op["url"]).status_code == 403
