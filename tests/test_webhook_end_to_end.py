"""The finish webhook end to end: connectShop subscribes, the simulator delivers to the real API,
the API wakes the real worker. Polling is slowed to 30 s, so only the webhook finishes a job fast;
duplicate and early deliveries still give one exact import."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.slow

DOMAIN = "hooks.myshopify.com"
TOKEN = "shpat_webhook_e2e_token_456"
SECRET = "shpss_webhook_e2e_secret_789"
ORDERS = 120
POLL_DELAY_S = 30.0
# Submit, 0.2 s CREATED + 1 s RUNNING in the simulator, delivery, ingest: a fraction of the
# poll delay, so a job woken by the webhook is told from one woken by its next poll.
WOKEN_WITHIN_S = POLL_DELAY_S / 2


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    env = {
        "WEBHOOK_SECRET": SECRET,
        "PUBLIC_URL": stack.api_url,
        "POLL_INITIAL_DELAY_S": str(POLL_DELAY_S),
        "POLL_MAX_DELAY_S": str(POLL_DELAY_S),
    }
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="e2e-hooks",
        seed=11,
        env=env,
        simulator_args=[
            "--webhook-secret",
            SECRET,
            "--run-seconds",
            "1",
            "--created-seconds",
            "0.2",
        ],
    ):
        yield stack


def _add_fault(stack: Stack, kind: str, **params: Any) -> None:
    stack.sim_post("/_sim/faults", {"kind": kind, "shop": DOMAIN, "params": params})


def _line_items_in_shopify(stack: Stack) -> int:
    orders = stack.shopify_orders()
    assert len(orders) == ORDERS
    return sum(len(order["lineItems"]) for order in orders.values())


def _wait_for_deliveries(stack: Stack, operation_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        found = [
            d
            for d in stack.sim_get("/_sim/webhooks")["deliveries"]
            if d["operationId"] == operation_id
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _counts(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()
        items = conn.execute("SELECT count(*) FROM line_items").fetchone()
    assert orders is not None and items is not None
    return int(orders[0]), int(items[0])


def _assert_exact_import(stack: Stack, job: dict[str, Any], database_url: str) -> None:
    assert job["status"] == "COMPLETED", job
    line_items = _line_items_in_shopify(stack)
    stats = job["stats"]
    assert stats["ordersCreated"] == ORDERS
    assert stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == ORDERS + line_items
    assert stats["ordersUpdated"] == stats["ordersSkipped"] == stats["failedLines"] == 0
    assert _counts(database_url) == (ORDERS, line_items)
    (operation,) = stack.sim_get("/_sim/operations", shop=DOMAIN)  # one bulk operation, no resubmit
    assert operation["id"] == job["bulkOperationId"]


def _assert_no_secrets_logged(stack: Stack) -> None:
    for name in ("api", "worker"):
        text = (stack.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        assert SECRET not in text and TOKEN not in text, f"a secret in the {name} log"


def test_the_finish_webhook_wakes_the_initial_populate(stack: Stack, database_url: str) -> None:
    started = time.monotonic()
    initial = stack.connect()["initialJob"]

    job = stack.wait(initial["id"], timeout_s=2 * POLL_DELAY_S)
    elapsed = time.monotonic() - started

    assert elapsed < WOKEN_WITHIN_S, f"took {elapsed:.1f} s: woken by polling, not the webhook"
    _assert_exact_import(stack, job, database_url)
    hooks = stack.sim_get("/_sim/webhooks")
    subscriptions = {s["topic"]: s["uri"] for s in hooks["subscriptions"]}
    assert subscriptions == dict.fromkeys(
        ("BULK_OPERATIONS_FINISH", "ORDERS_DELETE"), f"{stack.api_url}/webhooks/shopify"
    )
    (delivery,) = _wait_for_deliveries(stack, job["bulkOperationId"], 1)
    assert delivery["outcome"] == "200" and delivery["attempt"] == 1

    body = json.dumps({"admin_graphql_api_id": job["bulkOperationId"], "status": "completed"})
    forged = httpx.post(
        f"{stack.api_url}/webhooks/shopify",
        content=body.encode(),
        headers={
            "X-Shopify-Topic": "bulk_operations/finish",
            "X-Shopify-Hmac-Sha256": "bm90IHRoZSByaWdodCBzaWduYXR1cmU=",
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert forged.status_code == 401
    _assert_no_secrets_logged(stack)


def test_duplicate_and_early_webhooks_still_import_exactly_once(
    stack: Stack, database_url: str
) -> None:
    # The first operation's webhook goes out three times, while it still reads RUNNING (for 2 s).
    _add_fault(stack, "webhook_duplicate", times=3)
    _add_fault(stack, "webhook_early", delay=2.0)
    initial = stack.connect()["initialJob"]

    # The early wake-up finds the operation RUNNING and must not trust the webhook: the job
    # finishes on a later poll (30 s), never by ingesting an unfinished operation.
    job = stack.wait(initial["id"], timeout_s=3 * POLL_DELAY_S)

    _assert_exact_import(stack, job, database_url)
    (operation,) = stack.sim_get("/_sim/operations", shop=DOMAIN)
    assert "webhook_early" in operation["faults"]
    deliveries = _wait_for_deliveries(stack, job["bulkOperationId"], 3)
    assert [d["outcome"] for d in deliveries] == ["200", "200", "200"]
    # The wake-up re-polled (and saw RUNNING) before a later poll saw COMPLETED.
    polls = stack.sim_get("/_sim/requests", shop=DOMAIN, kind="poll")
    assert len(polls) >= 2
    _assert_no_secrets_logged(stack)
