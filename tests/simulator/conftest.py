"""Fixtures for simulator service tests: a running SimulatorServer and httpx clients."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from simulator.config import LEGACY_VERSIONS, ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer

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


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    """A simulator on a free port with a small default shop."""
    with SimulatorServer(make_config()) as srv:
        yield srv


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    """An httpx client authenticated as the test shop's app."""
    with httpx.Client(
        base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10
    ) as c:
        yield c


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


@pytest.fixture
def api(client: httpx.Client) -> Api:
    """GraphQL helper bound to the default test client and version."""
    return Api(client)
