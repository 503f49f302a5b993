"""Endpoint basics: auth, version header and fall-forward, schema errors, shop, orders, node."""

from __future__ import annotations

import httpx

from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, Api


def test_unknown_token_is_401_with_string_errors(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.base_url) as c:
        bad = c.post(
            "/admin/api/2026-04/graphql.json",
            json={"query": "{ shop { id } }"},
            headers={"X-Shopify-Access-Token": "nope"},
        )
        missing = c.post("/admin/api/2026-04/graphql.json", json={"query": "{ shop { id } }"})
    expected = {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    assert bad.status_code == 401 and bad.json() == expected
    assert missing.status_code == 401 and missing.json() == expected


def test_version_header_and_fall_forward(client: httpx.Client) -> None:
    for requested, served in [
        ("2026-07", "2026-07"),
        ("2025-04", "2025-04"),
        ("2023-01", "2026-01"),
    ]:
        response = Api(client, requested).post("{ shop { id } }")
        assert response.headers["X-Shopify-API-Version"] == served


def test_shop_query_and_cost(api: Api) -> None:
    body = api.gql("{ shop { id name myshopifyDomain } }")
    shop = body["data"]["shop"]
    assert shop["myshopifyDomain"] == SHOP and shop["id"].startswith("gid://shopify/Shop/")
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 1 and cost["actualQueryCost"] == 1
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 2000.0 and status["restoreRate"] == 100.0


def test_unknown_field_is_a_graphql_error(api: Api) -> None:
    body = api.gql("{ shop { id doesNotExist } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"
    assert "doesNotExist" in body["errors"][0]["message"]


def test_missing_query_argument_is_top_level_error(api: Api) -> None:
    body = api.gql("mutation { bulkOperationRunQuery { bulkOperation { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "missingRequiredArguments"


def test_malformed_id_is_invalid_global_id(api: Api) -> None:
    body = api.gql('{ bulkOperation(id: "abc") { id } }')
    assert body["errors"][0]["message"] == "Invalid global id 'abc'"
    assert body["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    unknown = api.gql('{ bulkOperation(id: "gid://shopify/BulkOperation/1234567890123") { id } }')
    assert unknown["data"]["bulkOperation"] is None and "errors" not in unknown


def test_orders_connection_pages_and_costs(api: Api) -> None:
    query = (
        "query($after: String) { orders(first: 5, after: $after, sortKey: CREATED_AT) { "
        "edges { cursor node { id createdAt lineItems(first: 2) { edges { node { id } } } } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    first = api.gql(query)
    page = first["data"]["orders"]
    assert len(page["edges"]) == 5 and page["pageInfo"]["hasNextPage"]
    assert first["extensions"]["cost"]["requestedQueryCost"] == 2 + 5 * (1 + 2 + 2)
    second = api.gql(query, {"after": page["pageInfo"]["endCursor"]})["data"]["orders"]
    ids = [e["node"]["id"] for e in page["edges"] + second["edges"]]
    assert len(set(ids)) == 10
    stamps = [e["node"]["createdAt"] for e in page["edges"] + second["edges"]]
    assert stamps == sorted(stamps)
    no_page = api.gql("{ orders { edges { node { id } } } }")
    assert no_page["errors"][0]["message"] == "you must provide one of first or last"
    assert no_page["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_node_works_on_every_version(client: httpx.Client) -> None:
    for version in ("2025-01", "2026-10"):
        api = Api(client, version)
        op = api.run()["bulkOperation"]
        query = "query($id: ID!) { node(id: $id) { id ... on BulkOperation { status } } }"
        node = api.gql(query, {"id": op["id"]})["data"]["node"]
        assert node["id"] == op["id"]
        api.wait(op["id"], lambda o: o["status"] == "COMPLETED") if version >= "2026-01" else None
        order = api.gql('{ node(id: "gid://shopify/Order/1000001") { ... on Order { name } } }')
        assert order["data"]["node"] == {"name": "#1001"}
