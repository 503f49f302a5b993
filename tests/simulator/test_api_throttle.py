"""Rate limiting: leaky bucket, cost extensions, THROTTLED and MAX_COST_EXCEEDED shapes."""

from __future__ import annotations

import httpx

from simulator.config import ShopConfig
from simulator.server import SimulatorServer
from simulator.throttle import LeakyBucket
from tests.support.simulator_api import SHOP, TOKEN, Api, make_config


class FakeClock:
    """Manually advanced monotonic clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_leaky_bucket_with_injected_clock() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(2000, 100, clock)
    assert bucket.try_consume(1500).admitted
    assert not bucket.try_consume(600).admitted  # nothing taken on refusal
    clock.now += 1.0
    admission = bucket.try_consume(600)
    assert admission.admitted and admission.currently_available == 0
    assert bucket.refund(50) == 50
    clock.now += 100
    assert bucket.available() == 2000


def test_throttled_response_shape() -> None:
    clock = FakeClock()
    with (
        SimulatorServer(make_config(), bucket_clock=clock) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        api = Api(client)
        server.simulator.throttle.bucket(SHOP, 100).drain(1995)
        cancel = (
            'bulkOperationCancel(id: "gid://shopify/BulkOperation/1") { userErrors { message } }'
        )
        response = api.post(f"mutation {{ {cancel} }}")
        assert response.status_code == 200 and "retry-after" not in response.headers
        body = response.json()
        assert "data" not in body
        assert body["errors"] == [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 10 and cost["actualQueryCost"] is None
        assert cost["throttleStatus"] == {
            "maximumAvailable": 2000.0,
            "currentlyAvailable": 5,
            "restoreRate": 100.0,
        }
        clock.now += 1.0
        assert "data" in api.gql("{ shop { id } }")


def test_max_cost_exceeded_is_never_charged(api: Api) -> None:
    items = "lineItems(first: 10) { edges { node { id } } }"
    query = f"{{ orders(first: 250) {{ edges {{ node {{ id {items} }} }} }} }}"
    body = api.gql(query)
    assert "data" not in body and "extensions" not in body
    ext = body["errors"][0]["extensions"]
    assert ext["code"] == "MAX_COST_EXCEEDED" and ext["maxCost"] == 1000 and ext["cost"] > 1000
    after = api.gql("{ shop { id } }")["extensions"]["cost"]["throttleStatus"]
    assert after["currentlyAvailable"] >= 1998


def test_plan_sets_restore_rate_and_bucket_size() -> None:
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=10, plan="Plus")
    with (
        SimulatorServer(make_config(shops=[shop])) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        body = Api(client).gql("{ shop { id } }")
        status = body["extensions"]["cost"]["throttleStatus"]
        assert status["maximumAvailable"] == 20000.0 and status["restoreRate"] == 1000.0


def test_costs_of_run_poll_cancel(api: Api) -> None:
    run = api.gql(
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } } }",
        {"q": "{ orders { edges { node { id } } } }"},
    )
    assert run["extensions"]["cost"]["requestedQueryCost"] == 10
    op_id = run["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    poll = api.gql("query($id: ID!) { bulkOperation(id: $id) { status } }", {"id": op_id})
    assert poll["extensions"]["cost"]["actualQueryCost"] == 1
    requests = api.client.get("/_sim/requests").json()
    assert [(r["kind"], r["cost"]) for r in requests[-2:]] == [("run", 10), ("poll", 1)]
    assert requests[-1]["bulkOperationId"] == op_id
