"""An operation's modelled run time: objects it exports / ``objects_per_second``, at least
``run_seconds``; and the regular query a split job starts from (the shop's oldest order)."""

from __future__ import annotations

import time

import httpx

from simulator.server import SimulatorServer
from tests.support.simulator_api import TOKEN, Api, make_config

ORDERS_IDS = "{ orders { edges { node { id lineItems { edges { node { id } } } } } } }"
EARLIEST = (
    "query($q: String) { orders(first: 1, sortKey: CREATED_AT, query: $q) "
    "{ edges { node { createdAt } } } }"
)


def _run_time_s(objects_per_second: float, run_seconds: float = 0.0) -> tuple[float, int]:
    config = make_config(objects_per_second=objects_per_second, run_seconds=run_seconds)
    with (
        SimulatorServer(config) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        api = Api(client)
        started = time.monotonic()
        op = api.wait(api.run(ORDERS_IDS)["bulkOperation"]["id"])
        assert op["status"] == "COMPLETED"
        return time.monotonic() - started, int(op["objectCount"])


def test_an_operation_runs_objects_over_the_rate() -> None:
    elapsed_s, objects = _run_time_s(400.0)
    assert objects > 400  # 200 orders and their line items
    assert objects / 400.0 <= elapsed_s < objects / 400.0 + 1.5


def test_run_seconds_stays_the_minimum() -> None:
    elapsed_s, _ = _run_time_s(1_000_000.0, run_seconds=1.5)
    assert 1.5 <= elapsed_s < 3.0
    unpaced_s, _ = _run_time_s(0.0)  # 0: no rate
    assert unpaced_s < 1.0


def test_the_oldest_order_by_created_at() -> None:
    with (
        SimulatorServer(make_config()) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        api = Api(client)
        first = api.gql(EARLIEST, {"q": None})["data"]["orders"]["edges"]
        every = api.gql(
            "{ orders(first: 250, sortKey: CREATED_AT) { edges { node { createdAt } } } }"
        )["data"]["orders"]["edges"]
        assert first[0]["node"]["createdAt"] == min(e["node"]["createdAt"] for e in every)
        later = api.gql(EARLIEST, {"q": "created_at:>='2099-01-01T00:00:00Z'"})
        assert later["data"]["orders"]["edges"] == []
