"""Audit: bulk_operations/finish payloads of failed and canceled operations, headers, dedup keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, TOKEN, Api, make_config
from tests.support.webhook_receiver import SUBSCRIBE, Receiver


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), headers["x-shopify-hmac-sha256"])


def test_failed_payload_has_lowercase_error_code(
    server: SimulatorServer, api: Api, receiver: Receiver
) -> None:
    api.gql(SUBSCRIBE, {"uri": receiver.url})
    server.simulator.faults.add("fail_operation", params={"error_code": "ACCESS_DENIED"})
    op = api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(1)
    headers, body = receiver.received[0]
    assert json.loads(body) == {
        "admin_graphql_api_id": op["id"],
        "completed_at": None,
        "created_at": op["createdAt"],
        "error_code": "access_denied",
        "status": "failed",
        "type": "query",
    }
    assert "url" not in json.loads(body)  # the payload never carries the URL
    assert _verify(server.config.webhook_secret, headers, body)
    assert not _verify("wrong-secret", headers, body)


def test_canceled_payload_and_headers(receiver: Receiver) -> None:
    with (
        SimulatorServer(make_config(run_seconds=2.0, webhook_secret="s3cret")) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as c,
    ):
        api = Api(c, "2026-07")
        api.gql(SUBSCRIBE, {"uri": receiver.url})
        op = api.run()["bulkOperation"]
        api.wait(op["id"], lambda o: o["status"] == "RUNNING")
        api.gql(
            "mutation($id: ID!) { bulkOperationCancel(id: $id) { userErrors { message } } }",
            {"id": op["id"]},
        )
        receiver.wait_for(1)
    headers, body = receiver.received[0]
    payload = json.loads(body)
    assert payload["status"] == "canceled" and payload["error_code"] is None
    assert payload["completed_at"] is None and payload["type"] == "query"
    assert headers["content-type"] == "application/json"
    assert headers["x-shopify-topic"] == "bulk_operations/finish"
    assert headers["x-shopify-shop-domain"] == SHOP
    assert headers["x-shopify-api-version"] == "2026-07"  # the subscription's version
    assert _verify("s3cret", headers, body)
    triggered = headers["x-shopify-triggered-at"]
    assert triggered.endswith("Z") and len(triggered) == 20


def test_duplicates_share_webhook_and_event_ids(
    server: SimulatorServer, api: Api, receiver: Receiver
) -> None:
    api.gql(SUBSCRIBE, {"uri": receiver.url})
    server.simulator.faults.add("webhook_duplicate", params={"times": 2})
    api.wait(api.run()["bulkOperation"]["id"])
    api.wait(api.run()["bulkOperation"]["id"])
    receiver.wait_for(3)
    time.sleep(0.2)
    assert len(receiver.received) == 3
    by_body: dict[bytes, set[tuple[str, str]]] = {}
    for headers, body in receiver.received:
        ids = (headers["x-shopify-webhook-id"], headers["x-shopify-event-id"])
        by_body.setdefault(body, set()).add(ids)
    assert sorted(len(ids) for ids in by_body.values()) == [1, 1]  # same ids per event
    assert len({next(iter(ids)) for ids in by_body.values()}) == 2  # distinct across events
    deliveries = server.simulator.webhooks.deliveries()
    assert [d["outcome"] for d in deliveries] == ["200", "200", "200"]
