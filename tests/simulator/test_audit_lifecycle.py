"""Audit: the operation lifecycle (statuses, limits, cancel, expiry) and the queries reading it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from simulator.config import ShopConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, RUN, SHOP, TOKEN, Api, make_config

CANCEL = (
    "mutation($id: ID!) { bulkOperationCancel(id: $id) { "
    "bulkOperation { id status createdAt completedAt url objectCount } "
    "userErrors { field message } } }"
)
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["Expires"][0])


@pytest.fixture
def slow() -> Iterator[tuple[SimulatorServer, Api]]:
    """Operations stay RUNNING for 2 s (run_seconds is configurable)."""
    with (
        SimulatorServer(make_config(run_seconds=2.0)) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10
        ) as client,
    ):
        yield server, Api(client)


def test_run_payload_is_created_with_string_counters_and_costs_10(api: Api) -> None:
    body = api.gql(RUN, {"q": ORDERS_QUERY})
    payload = body["data"]["bulkOperationRunQuery"]
    op = payload["bulkOperation"]
    assert payload["userErrors"] == []
    assert re.fullmatch(r"gid://shopify/BulkOperation/\d{13}", op["id"])
    assert op["status"] == "CREATED" and op["type"] == "QUERY" and op["url"] is None
    assert op["objectCount"] == "0" and op["rootObjectCount"] == "0"
    assert STAMP.fullmatch(op["createdAt"])
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10 and cost["actualQueryCost"] == 10


def test_configurable_run_time_created_running_completed(slow: tuple[SimulatorServer, Api]) -> None:
    _, api = slow
    started = time.monotonic()
    op = api.run()["bulkOperation"]
    seen = {api.poll(op["id"])["status"]}
    running = api.wait(op["id"], lambda o: o["status"] == "RUNNING")
    assert isinstance(running["objectCount"], str) and running["completedAt"] is None
    assert running["url"] is None
    final = api.wait(op["id"])
    seen.add(final["status"])
    assert final["status"] == "COMPLETED" and time.monotonic() - started >= 2.0
    assert seen <= {"CREATED", "RUNNING", "COMPLETED"}
    assert final["objectCount"] == str(int(final["objectCount"]))
    assert final["fileSize"] == str(int(final["fileSize"]))
    assert _when(final["completedAt"]) >= _when(final["createdAt"])


def test_canceled_op_keeps_url_expiring_at_created_at_plus_7_days(
    slow: tuple[SimulatorServer, Api],
) -> None:
    _, api = slow
    op = api.run()["bulkOperation"]
    api.wait(op["id"], lambda o: o["status"] == "RUNNING")
    canceling = api.gql(CANCEL, {"id": op["id"]})["data"]["bulkOperationCancel"]
    assert canceling["userErrors"] == [] and canceling["bulkOperation"]["status"] == "CANCELING"
    final = api.wait(op["id"])
    assert final["status"] == "CANCELED" and final["completedAt"] is None
    assert final["fileSize"] is None and final["errorCode"] is None
    # Observed shape: a CANCELED op may carry a url; its expiry is createdAt + 7 days.
    assert final["url"] is not None
    assert _expires(final["url"]) == int(
        (_when(final["createdAt"]) + timedelta(days=7)).timestamp()
    )
    time.sleep(1.1)
    assert api.poll(op["id"])["url"] == final["url"]  # re-polling never moves Expires
    again = api.gql(CANCEL, {"id": op["id"]})["data"]["bulkOperationCancel"]
    assert again["bulkOperation"]["status"] == "CANCELED"
    assert again["userErrors"] == [
        {"field": None, "message": "A bulk operation cannot be canceled when it is canceled"}
    ]


def test_completed_expires_is_completed_at_plus_7_days_after_later_polls(
    server: SimulatorServer, api: Api, client: httpx.Client
) -> None:
    op = api.wait(api.run()["bulkOperation"]["id"])
    expected = int((_when(op["completedAt"]) + timedelta(days=7)).timestamp())
    assert _expires(op["url"]) == expected
    client.post("/_sim/clock", json={"advance_seconds": 3 * 86400})
    later = api.poll(op["id"])
    assert later["status"] == "COMPLETED" and _expires(later["url"]) == expected
    client.post("/_sim/clock", json={"advance_seconds": 4 * 86400})
    assert api.poll(op["id"])["status"] == "EXPIRED"


def test_cancel_in_created_goes_canceling_then_canceled(server: SimulatorServer, api: Api) -> None:
    server.simulator.faults.add("stuck_created")
    op = api.run()["bulkOperation"]
    assert api.poll(op["id"])["status"] == "CREATED"
    result = api.gql(CANCEL, {"id": op["id"]})["data"]["bulkOperationCancel"]
    assert result["bulkOperation"]["status"] == "CANCELING" and result["userErrors"] == []
    final = api.wait(op["id"])
    assert final["status"] == "CANCELED" and final["url"] is None


def test_failed_without_partial_data(server: SimulatorServer, api: Api) -> None:
    server.simulator.faults.add(
        "fail_operation", params={"error_code": "TIMEOUT", "partial": False}
    )
    op = api.wait(api.run()["bulkOperation"]["id"])
    assert op["status"] == "FAILED" and op["errorCode"] == "TIMEOUT"
    assert op["url"] is None and op["partialDataUrl"] is None and op["completedAt"] is None


def test_failed_partial_data_is_a_jsonl_prefix() -> None:
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=2000, seed=7)
    with (
        SimulatorServer(make_config(shops=[shop])) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as c,
    ):
        server.simulator.faults.add(
            "fail_operation", params={"error_code": "INTERNAL_SERVER_ERROR", "after_objects": 1000}
        )
        api = Api(c)
        op = api.wait(api.run()["bulkOperation"]["id"])
        assert op["status"] == "FAILED" and op["errorCode"] == "INTERNAL_SERVER_ERROR"
        assert op["url"] is None and op["completedAt"] is None
        with httpx.Client() as plain:
            response = plain.get(op["partialDataUrl"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/jsonl"
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert len(lines) == 1000  # rows produced before the failure, not the whole export
        assert int(op["rootObjectCount"]) < 2000


def test_current_bulk_operation_is_the_newest_even_when_terminal(api: Api) -> None:
    query = "query($t: BulkOperationType!) { currentBulkOperation(type: $t) { id status } }"
    first = api.wait(api.run()["bulkOperation"]["id"])
    second = api.wait(api.run()["bulkOperation"]["id"])
    for version in ("2025-04", "2026-04"):  # deprecated from 2026-01 but still served
        current = Api(api.client, version).gql(query, {"t": "QUERY"})["data"]
        assert current["currentBulkOperation"] == {"id": second["id"], "status": "COMPLETED"}
    assert first["id"] != second["id"]
    none = api.gql(query, {"t": "MUTATION"})["data"]["currentBulkOperation"]
    assert none is None


@pytest.mark.parametrize("field", ["bulkOperation", "bulkOperations"])
def test_2026_queries_are_undefined_before_2026_01(client: httpx.Client, field: str) -> None:
    args = '(id: "gid://shopify/BulkOperation/1234567890123")' if field == "bulkOperation" else ""
    selection = "{ id }" if field == "bulkOperation" else "{ nodes { id } }"
    body = Api(client, "2025-10").gql(f"{{ {field}{args} {selection} }}")
    assert "data" not in body
    assert body["errors"][0]["message"] == f"Field '{field}' doesn't exist on type 'QueryRoot'"
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"


def test_concurrency_limit_follows_the_request_version(
    server: SimulatorServer, client: httpx.Client
) -> None:
    server.simulator.faults.add("stuck_created", count=None)
    running = Api(client, "2026-04").run()["bulkOperation"]["id"]
    legacy = Api(client, "2025-04").run()
    assert legacy["bulkOperation"] is None
    assert legacy["userErrors"] == [
        {
            "field": None,
            "message": "A bulk query operation for this app and shop is already in progress: "
            f"{running}.",
            "code": "OPERATION_IN_PROGRESS",
        }
    ]
    assert Api(client, "2026-04").run()["bulkOperation"]["status"] == "CREATED"


INVALID = [
    ("{ shop { id } }", ["Bulk queries must contain at least one connection."]),
    (
        "{ orders { edges { node { id "
        + " ".join(f"l{i}: lineItems {{ edges {{ node {{ id }} }} }}" for i in range(5))
        + " } } } }",
        ["Bulk queries cannot contain more than 5 connections."],
    ),
    (
        "{ orders { edges { node { id lineItems { edges { node { id product { id "
        "collections { edges { node { id products { edges { node { id } } } } } } } } } } } } } }",
        ["Bulk queries cannot contain connections with a nesting depth greater than 2."],
    ),
    (
        '{ node(id: "gid://shopify/Order/1") { id } }',
        [
            "Bulk queries cannot contain a top level `node` field.",
            "Bulk queries must contain at least one connection.",
        ],
    ),
    (
        "{ orders { edges { node { name lineItems { edges { node { id } } } } } } }",
        [
            "The parent 'node' field for a nested connection must select the 'id' field without "
            "an alias and must be of 'ID' return type. Connection fields without 'id': lineItems."
        ],
    ),
    (
        "{ orders { edges { node { id refunds { id refundLineItems "
        "{ edges { node { quantity } } } } } } } }",
        [
            "Queries that contain a connection field within a list field are not currently "
            "supported."
        ],
    ),
    (
        "{ orders { nodes { id } } }",
        [
            "All connection fields in a bulk query must select their contents using 'edges' > "
            "'node' ... Selecting via 'nodes' is not supported. Invalid connection fields: "
            "'orders'."
        ],
    ),
    (
        "mutation { orderCancel(id: 1) { id } }",
        ["Invalid operation type. Only `query` operations are supported."],
    ),
    ("", ["Invalid bulk query: syntax error, unexpected end of file"]),
    (
        "{ orders { edges { node { id } } } }" + " " * 65_600,
        ["Query is too large (65636 bytes; maximum is 65535 bytes)"],
    ),
]


@pytest.mark.parametrize(("inner", "messages"), INVALID)
def test_every_documented_rejection_over_http(
    api: Api, client: httpx.Client, inner: str, messages: list[str]
) -> None:
    payload = api.run(inner)
    assert payload["bulkOperation"] is None
    assert payload["userErrors"] == [
        {"field": ["query"], "message": message, "code": "INVALID"} for message in messages
    ]
    assert client.get("/_sim/operations").json() == []
