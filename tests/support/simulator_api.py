"""Talking to a simulator under test: a small default configuration and a GraphQL helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from simulator.config import LEGACY_VERSIONS, ShopConfig, SimulatorConfig

TOKEN = "shpat_test_token"
SHOP = "test-shop.myshopify.com"
VERSION = "2026-04"
ORDERS_QUERY = (
    "{ orders { edges { node { id name createdAt lineItems { edges { node { id sku } } } } } } }"
)
RUN = (
    "mutation Run($q: String!) { bulkOperationRunQuery(query: $q) { "
    "bulkOperation { id status type createdAt objectCount rootObjectCount url query } "
    "userErrors { field message code } } }"
)
POLL = (
    "query Poll($id: ID!) { bulkOperation(id: $id) { id status errorCode createdAt completedAt "
    "objectCount rootObjectCount fileSize url partialDataUrl query type } }"
)


def make_config(**overrides: Any) -> SimulatorConfig:
    """A small, fast configuration (200 orders, run_seconds 0)."""
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=200, seed=7)
    # Version tests exercise pre-2026-01 behaviour, so retired versions answer as they were.
    values: dict[str, Any] = {
        "shops": [shop],
        "run_seconds": 0.0,
        "legacy_versions": LEGACY_VERSIONS,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


class Api:
    """Tiny helper around the GraphQL endpoint."""

    def __init__(self, client: httpx.Client, version: str = VERSION) -> None:
        self.client = client
        self.version = version

    def post(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        return self.client.post(
            f"/admin/api/{self.version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            **kw,
        )

    def gql(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response = self.post(query, variables, **kw)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def run(self, inner: str = ORDERS_QUERY, **kw: Any) -> dict[str, Any]:
        payload: dict[str, Any] = self.gql(RUN, {"q": inner}, **kw)["data"]["bulkOperationRunQuery"]
        return payload

    def poll(self, op_id: str) -> dict[str, Any]:
        op: dict[str, Any] = self.gql(POLL, {"id": op_id})["data"]["bulkOperation"]
        return op

    def wait(
        self, op_id: str, done: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        check = done or (lambda op: op["status"] not in ("CREATED", "RUNNING", "CANCELING"))
        deadline = time.monotonic() + timeout
        while True:
            op = self.poll(op_id)
            if check(op):
                return op
            assert time.monotonic() < deadline, op
            time.sleep(0.02)
