"""Deleted orders end to end with real processes: the simulator's signed orders/delete reaches
the real API, which marks the order deleted; an order whose webhook was lost is found by a
RECONCILE job the real worker runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support.stack import Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

DOMAIN = "deletions.myshopify.com"
TOKEN = "shpat_deletions_e2e_token_123"
SECRET = "shpss_deletions_e2e_secret_456"
ORDERS = 60

JOB = "query Job($id: ID!) { syncJob(id: $id) { status error stats { linesRead ordersDeleted } } }"


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    env = {"WEBHOOK_SECRET": SECRET, "PUBLIC_URL": stack.api_url}
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="e2e-deletions",
        seed=5,
        env=env,
        simulator_args=["--webhook-secret", SECRET],
    ):
        yield stack


def _deleted(database_url: str) -> set[int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT legacy_resource_id FROM orders WHERE deleted_at IS NOT NULL"
        ).fetchall()
    return {int(row[0]) for row in rows}


def _delete_in_shopify(stack: Stack, legacy_id: int) -> None:
    response = httpx.delete(f"{stack.sim_url}/_sim/shops/{DOMAIN}/orders/{legacy_id}", timeout=10)
    response.raise_for_status()


def test_a_webhook_deletes_promptly_and_reconcile_finds_the_one_whose_webhook_was_lost(
    stack: Stack, database_url: str
) -> None:
    connected = stack.connect()
    shop_id = connected["shop"]["id"]
    assert stack.wait(connected["initialJob"]["id"])["status"] == "COMPLETED"
    first, second, *_ = sorted(int(o["legacyResourceId"]) for o in stack.shopify_orders().values())

    stack.sim_post("/_sim/faults", {"kind": "webhook_drop", "shop": DOMAIN, "count": 1})
    _delete_in_shopify(stack, second)  # its webhook is lost
    _delete_in_shopify(stack, first)
    wait_for(
        lambda: _deleted(database_url) == {first},
        "the webhook marks the order deleted",
        timeout_s=20.0,
    )
    dropped = [
        d
        for d in stack.sim_get("/_sim/webhooks")["deliveries"]
        if d["outcome"].startswith("dropped")
    ]
    assert len(dropped) == 1

    reconcile = stack.start(shopId=shop_id, syncMode="RECONCILE")
    job = stack.api.execute(JOB, {"id": reconcile["id"]})["syncJob"]
    assert job["status"] == "COMPLETED", job
    assert job["stats"] == {"linesRead": ORDERS - 2, "ordersDeleted": 1}
    assert _deleted(database_url) == {first, second}
    for name in ("api", "worker"):
        text = (stack.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        assert SECRET not in text and TOKEN not in text, f"a secret in the {name} log"
    api_log = (stack.logs / "api.log").read_text(encoding="utf-8")
    assert "order.deleted_by_webhook" in api_log
