"""Control API: shops, orders, mutate, operations, request log, reset, health."""

from __future__ import annotations

import httpx

from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, Api

BASE = f"/_sim/shops/{SHOP}/orders"


def test_health_and_create_shop(server: SimulatorServer, client: httpx.Client) -> None:
    assert client.get("/_sim/health").json()["status"] == "ok"
    body = {"domain": "other.myshopify.com", "token": "tok2", "plan": "Advanced", "orders": 5}
    assert client.post("/_sim/shops", json=body).status_code == 201
    with httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": "tok2"}) as c:
        other = Api(c).gql("{ shop { myshopifyDomain } orders(first: 10) { nodes { id } } }")
    assert other["data"]["shop"]["myshopifyDomain"] == "other.myshopify.com"
    assert len(other["data"]["orders"]["nodes"]) == 5
    assert other["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 200.0


def test_order_crud_touch_cancel_and_mutate(client: httpx.Client) -> None:
    created = client.post(BASE, json={"fields": {"email": "new@example.com"}}).json()
    numeric = created["id"].rsplit("/", 1)[-1]
    assert client.get(f"{BASE}/{numeric}").json()["email"] == "new@example.com"
    patched = client.patch(f"{BASE}/{numeric}", json={"fields": {"note": "hi"}}).json()
    assert patched["note"] == "hi"
    touched = client.post(f"{BASE}/{numeric}/touch", json={"updatedAt": "2030-01-01T00:00:00Z"})
    assert touched.json()["updatedAt"] == "2030-01-01T00:00:00Z"
    canceled = client.post(f"{BASE}/{numeric}/cancel", json={"reason": "FRAUD"}).json()
    assert canceled["cancelReason"] == "FRAUD" and canceled["cancelledAt"]
    assert client.delete(f"{BASE}/{numeric}").status_code == 200
    assert client.get(f"{BASE}/{numeric}").status_code == 404
    mutated = client.post(f"{BASE}/mutate", json={"update": 3, "create": 2, "seed": 5}).json()
    assert len(mutated["updated"]) == 3 and len(mutated["created"]) == 2
    listing = client.get(BASE, params={"limit": 2}).json()
    assert listing["count"] == 202 and len(listing["orders"]) == 2


def test_operations_requests_and_reset(client: httpx.Client, api: Api) -> None:
    op = api.wait(api.run()["bulkOperation"]["id"])
    ops = client.get("/_sim/operations").json()
    assert ops[0]["id"] == op["id"] and ops[0]["status"] == "COMPLETED"
    kinds = [r["kind"] for r in client.get("/_sim/requests", params={"shop": SHOP}).json()]
    assert kinds[0] == "run" and "poll" in kinds
    assert client.post("/_sim/reset").json() == {"status": "reset"}
    assert client.get("/_sim/operations").json() == []
    assert client.get("/_sim/requests").json() == []
