"""Version-dependent surface: concurrency, groupObjects, userError code, bulkOperation(s)."""

from __future__ import annotations

import httpx
import pytest

from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, RUN, TOKEN, Api, make_config

IN_PROGRESS = "A bulk query operation for this app and shop is already in progress: "


def _stick(server: SimulatorServer) -> None:
    server.simulator.faults.add("stuck_created", count=None)


def test_legacy_allows_one_concurrent_query(server: SimulatorServer, client: httpx.Client) -> None:
    _stick(server)
    api = Api(client, "2025-04")
    first = api.run()["bulkOperation"]
    second = api.run()
    assert second["bulkOperation"] is None
    assert second["userErrors"] == [
        {"field": None, "message": f"{IN_PROGRESS}{first['id']}.", "code": "OPERATION_IN_PROGRESS"}
    ]


def test_2026_allows_five_and_lists_them(server: SimulatorServer, client: httpx.Client) -> None:
    _stick(server)
    api = Api(client, "2026-04")
    ids = [api.run()["bulkOperation"]["id"] for _ in range(5)]
    sixth = api.run()
    assert sixth["bulkOperation"] is None
    error = sixth["userErrors"][0]
    assert error["field"] is None and error["code"] == "OPERATION_IN_PROGRESS"
    assert error["message"] == f"{IN_PROGRESS}{', '.join(ids)}."


def test_group_objects_argument_and_defaults(server: SimulatorServer, client: httpx.Client) -> None:
    old = Api(client, "2025-04").gql(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: true) { "
        "bulkOperation { id } } }",
        {"q": ORDERS_QUERY},
    )
    assert "groupObjects" in old["errors"][0]["message"]
    for version, expected in (("2025-07", True), ("2026-01", False)):
        op = Api(client, version).run()["bulkOperation"]
        Api(client, "2026-04").wait(op["id"])
        ops = {o["id"]: o for o in client.get("/_sim/operations").json()}
        assert ops[op["id"]]["groupObjects"] is expected


def test_user_error_code_only_from_2025_01() -> None:
    config = make_config(legacy_versions=("2024-10", "2025-01"))
    with (
        SimulatorServer(config) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        bad = {"q": "{ shop { id } }"}
        old = Api(client, "2024-10").gql(RUN, bad)
        assert "code" in old["errors"][0]["message"]
        plain = Api(client, "2024-10").gql(
            "mutation($q: String!) { bulkOperationRunQuery(query: $q) { "
            "userErrors { field message } } }",
            bad,
        )
        assert plain["data"]["bulkOperationRunQuery"]["userErrors"] == [
            {"field": ["query"], "message": "Bulk queries must contain at least one connection."}
        ]
        new = Api(client, "2025-01").gql(RUN, bad)["data"]["bulkOperationRunQuery"]
        assert new["userErrors"][0]["code"] == "INVALID"


def test_bulk_operation_queries_only_from_2026_01(client: httpx.Client) -> None:
    old = Api(client, "2025-10").gql(
        '{ bulkOperation(id: "gid://shopify/BulkOperation/1") { id } }'
    )
    assert old["errors"][0]["extensions"]["code"] == "undefinedField"


def test_current_bulk_operation_returns_newest_including_terminal(client: httpx.Client) -> None:
    api = Api(client, "2025-10")
    query = "{ currentBulkOperation { id status } }"
    assert api.gql(query)["data"]["currentBulkOperation"] is None
    op = api.run()["bulkOperation"]
    Api(client).wait(op["id"])
    current = api.gql(query)["data"]["currentBulkOperation"]
    assert current == {"id": op["id"], "status": "COMPLETED"}


def test_bulk_operations_connection(client: httpx.Client) -> None:
    api = Api(client)
    ids = []
    for _ in range(3):
        op = api.run()["bulkOperation"]
        api.wait(op["id"])
        ids.append(op["id"])
    query = "query($q: String) { bulkOperations(first: 5, query: $q) { nodes { id status } } }"
    nodes = api.gql(query)["data"]["bulkOperations"]["nodes"]
    assert [n["id"] for n in nodes] == ids[::-1]  # newest first
    assert api.gql(query, {"q": "status:running"})["data"]["bulkOperations"]["nodes"] == []
    done = api.gql(query, {"q": "status:completed operation_type:query"})["data"]
    assert len(done["bulkOperations"]["nodes"]) == 3
    rev = api.gql("{ bulkOperations(first: 1, reverse: true) { nodes { id } } }")["data"]
    assert rev["bulkOperations"]["nodes"][0]["id"] == ids[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("", "you must provide one of first or last"),
        ("first: 1, last: 1", "providing both first and last is not supported"),
        (
            'first: 1, query: "created_at:>bogus"',
            "Invalid timestamp for query filter `created_at`.",
        ),
    ],
)
def test_bulk_operations_bad_request(api: Api, args: str, message: str) -> None:
    query = (
        f"{{ bulkOperations({args}) {{ nodes {{ id }} }} }}"
        if args
        else ("{ bulkOperations { nodes { id } } }")
    )
    body = api.gql(query)
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
