"""Run → poll → COMPLETED → download over real HTTP."""

from __future__ import annotations

import json
import re

import httpx

from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, SHOP, Api


def test_run_poll_download(api: Api, server: SimulatorServer) -> None:
    payload = api.run()
    assert payload["userErrors"] == []
    created = payload["bulkOperation"]
    assert re.fullmatch(r"gid://shopify/BulkOperation/\d{13}", created["id"])
    assert created["status"] == "CREATED"
    assert created["objectCount"] == "0"
    assert created["url"] is None
    assert created["type"] == "QUERY"
    assert created["query"] == ORDERS_QUERY
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created["createdAt"])

    op = api.wait(created["id"])
    assert op["status"] == "COMPLETED"
    assert op["errorCode"] is None and op["partialDataUrl"] is None
    assert isinstance(op["objectCount"], str) and isinstance(op["fileSize"], str)
    assert int(op["rootObjectCount"]) == 200
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", op["completedAt"])

    with httpx.Client() as plain:  # no auth header: the URL is pre-signed
        response = plain.get(op["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonl"
    assert len(response.content) == int(op["fileSize"])
    lines = [json.loads(line) for line in response.content.splitlines()]
    assert len(lines) == int(op["objectCount"])
    roots = [line for line in lines if "__parentId" not in line]
    assert len(roots) == 200
    assert all(line["id"].startswith("gid://shopify/") for line in lines)


def test_an_ids_only_query_answers_ids_only_without_deleted_orders(api: Api) -> None:
    listed = api.client.get(f"/_sim/shops/{SHOP}/orders", params={"limit": 3}).json()
    deleted = listed["orders"][1]["id"]
    assert api.client.delete(f"/_sim/shops/{SHOP}/orders/{deleted}").is_success
    inner = "{ orders(sortKey: CREATED_AT) { edges { node { id } } } }"
    op = api.wait(api.run(inner)["bulkOperation"]["id"])
    assert op["status"] == "COMPLETED"
    assert op["objectCount"] == op["rootObjectCount"] == "199"

    with httpx.Client() as plain:
        lines = [json.loads(line) for line in plain.get(op["url"]).content.splitlines()]
    assert all(set(line) == {"id"} for line in lines)
    ids = [line["id"] for line in lines]
    assert len(set(ids)) == 199 and deleted not in ids
