"""bulk_operations/finish webhooks: payload, headers, HMAC, retries and delivery faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, Api
from tests.support.webhook_receiver import SUBSCRIBE, Receiver


def _subscribe(api: Api, uri: str) -> None:
    created = api.gql(SUBSCRIBE, {"uri": uri})["data"]["webhookSubscriptionCreate"]
    assert created["userErrors"] == [] and created["webhookSubscription"]["uri"] == uri


def test_finish_webhook_payload_headers_and_hmac(
    server: SimulatorServer, api: Api, receiver: Receiver
) -> None:
    _subscribe(api, receiver.url)
    op = api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(1)
    headers, body = receiver.received[0]
    payload = json.loads(body)
    assert payload == {
        "admin_graphql_api_id": op["id"],
        "completed_at": op["completedAt"],
        "created_at": op["createdAt"],
        "error_code": None,
        "status": "completed",
        "type": "query",
    }
    secret = server.config.webhook_secret.encode()
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["x-shopify-hmac-sha256"], expected)
    assert headers["x-shopify-topic"] == "bulk_operations/finish"
    assert headers["x-shopify-shop-domain"] == SHOP
    assert headers["x-shopify-api-version"] == "2026-04"
    for name in ("x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-triggered-at"):
        assert headers[name]


def test_callback_url_is_accepted(api: Api, receiver: Receiver) -> None:
    legacy = api.gql(
        "mutation($u: URL!) { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, "
        "webhookSubscription: {callbackUrl: $u}) { webhookSubscription { callbackUrl } } }",
        {"u": receiver.url},
    )
    sub = legacy["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
    assert sub == {"callbackUrl": receiver.url}


def test_non_2xx_is_retried(api: Api, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    _subscribe(api, receiver.url)
    api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(3)
    event_ids = {h["x-shopify-event-id"] for h, _ in receiver.received}
    assert len(event_ids) == 1


def test_duplicate_lost_and_early_deliveries(
    server: SimulatorServer, api: Api, receiver: Receiver
) -> None:
    faults = server.simulator.faults
    _subscribe(api, receiver.url)
    faults.add("webhook_duplicate", params={"times": 3})
    api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(3)
    assert len({body for _, body in receiver.received}) == 1

    faults.add("webhook_drop")
    api.wait(api.run()["bulkOperation"]["id"])
    time.sleep(0.3)
    assert len(receiver.received) == 3

    faults.add("webhook_early", params={"delay": 1.5})
    op = api.run()["bulkOperation"]
    receiver.wait_for(4)
    assert json.loads(receiver.received[3][1])["status"] == "completed"
    assert api.poll(op["id"])["status"] == "RUNNING"  # webhook arrived before completion
    assert api.wait(op["id"])["status"] == "COMPLETED"


def test_delayed_webhook_is_overtaken(
    server: SimulatorServer, api: Api, receiver: Receiver
) -> None:
    _subscribe(api, receiver.url)
    server.simulator.faults.add("webhook_delay", params={"delay": 1.0})
    first = api.wait(api.run()["bulkOperation"]["id"])
    second = api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(2)
    order = [json.loads(body)["admin_graphql_api_id"] for _, body in receiver.received]
    assert order == [second["id"], first["id"]]


def test_deleting_an_order_sends_a_signed_orders_delete(
    server: SimulatorServer, api: Api, receiver: Receiver
) -> None:
    subscribe = SUBSCRIBE.replace("BULK_OPERATIONS_FINISH", "ORDERS_DELETE")
    created = api.gql(subscribe, {"uri": receiver.url})["data"]["webhookSubscriptionCreate"]
    assert created["userErrors"] == []
    _subscribe(api, receiver.url)  # a finish subscription alone gets no orders/delete
    first = api.client.get(f"/_sim/shops/{SHOP}/orders", params={"limit": 1}).json()
    legacy = int(first["orders"][0]["legacyResourceId"])
    response = api.client.delete(f"/_sim/shops/{SHOP}/orders/{legacy}")
    assert response.status_code == 200
    receiver.wait_for(1)
    # One thread delivers in queue order: once a later finish webhook is in, a second
    # orders/delete (queued with the first) would have been too.
    api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(2)
    topics = [h["x-shopify-topic"] for h, _ in receiver.received]
    assert topics == ["orders/delete", "bulk_operations/finish"]
    headers, body = receiver.received[0]
    assert json.loads(body) == {"id": legacy}
    secret = server.config.webhook_secret.encode()
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["x-shopify-hmac-sha256"], expected)
    assert headers["x-shopify-topic"] == "orders/delete"
    assert headers["x-shopify-shop-domain"] == SHOP
    assert headers["x-shopify-webhook-id"]
    assert api.client.get(f"/_sim/shops/{SHOP}/orders/{legacy}").status_code == 404
