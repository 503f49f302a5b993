"""Audit: bucket sizes per plan, a THROTTLED run creates nothing, the request log per operation."""

from __future__ import annotations

import httpx
import pytest

from simulator.config import ShopConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, RUN, SHOP, TOKEN, Api, make_config

CANCEL = "mutation($id: ID!) { bulkOperationCancel(id: $id) { userErrors { message } } }"


@pytest.mark.parametrize(
    ("plan", "rate"), [("Standard", 100), ("Advanced", 200), ("Plus", 1000), ("Enterprise", 2000)]
)
def test_bucket_is_20_times_the_plan_restore_rate(plan: str, rate: int) -> None:
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=5, plan=plan)
    with (
        SimulatorServer(make_config(shops=[shop])) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as c,
    ):
        status = Api(c).gql("{ shop { id } }")["extensions"]["cost"]["throttleStatus"]
    assert status["maximumAvailable"] == float(20 * rate)
    assert status["restoreRate"] == float(rate)
    # 1 point spent; the bucket may already have restored it (1 ms at 1000 points/s).
    assert 20 * rate - 1 <= status["currentlyAvailable"] <= 20 * rate


def test_throttled_run_has_no_data_and_starts_nothing() -> None:
    # The bucket's clock stands still: nothing is restored between draining and the request,
    # however slowly a loaded machine gets there.
    with (
        SimulatorServer(make_config(), bucket_clock=lambda: 1000.0) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as c,
    ):
        server.simulator.throttle.bucket(SHOP, 100).drain()
        _assert_throttled_run_starts_nothing(Api(c), c)


def _assert_throttled_run_starts_nothing(api: Api, client: httpx.Client) -> None:
    response = api.post(RUN, {"q": ORDERS_QUERY})
    assert response.status_code == 200 and "retry-after" not in response.headers
    body = response.json()
    assert set(body) == {"errors", "extensions"}
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10 and cost["actualQueryCost"] is None
    assert cost["throttleStatus"]["currentlyAvailable"] < 10
    assert client.get("/_sim/operations").json() == []
    assert client.get("/_sim/requests").json()[-1]["throttled"] is True


def test_max_cost_exceeded_shape(api: Api) -> None:
    body = api.gql("{ orders(first: 250) { edges { node { id lineItems(first: 5) { "
                   "edges { node { id } } } } } } }")  # fmt: skip
    assert set(body) == {"errors"}  # no data, no top-level extensions.cost
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxCost"] == 1000 and error["extensions"]["cost"] > 1000
    assert error["message"].startswith(f"Query cost is {error['extensions']['cost']}")


def test_request_log_per_operation_with_costs(api: Api, client: httpx.Client) -> None:
    op_id = api.wait(api.run()["bulkOperation"]["id"])["id"]
    inline = f'{{ bulkOperation(id: "{op_id}") {{ status }} }}'
    api.gql(inline)
    api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": op_id})
    Api(client, "2025-10").gql("{ currentBulkOperation { id } }")
    api.gql(CANCEL, {"id": op_id})
    other = api.wait(api.run()["bulkOperation"]["id"])["id"]
    records = client.get("/_sim/requests", params={"operationId": op_id}).json()
    kinds = [(r["kind"], r["cost"]) for r in records]
    assert kinds[0] == ("run", 10) and kinds[-1] == ("cancel", 10)
    assert all(kind == ("poll", 1) for kind in kinds[1:-1]) and len(kinds) >= 6
    assert all(r["bulkOperationId"] == op_id for r in records)
    assert other not in {r["bulkOperationId"] for r in records}
    polls = client.get("/_sim/requests", params={"kind": "poll", "shop": SHOP}).json()
    assert {r["bulkOperationId"] for r in polls} == {op_id, other}
