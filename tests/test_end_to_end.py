"""The whole path with real parts: GraphQL API → Dramatiq worker on Redis → simulator over HTTP →
JSONL streamed into Postgres. Every process is a real child process; the test talks to them only
over HTTP and reads the database to check the exact rows."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from cli.graphql_client import GraphQLClient
from cli.processes import ManagedProcess, ProcessGroup

pytestmark = pytest.mark.slow

DOMAIN = "e2e.myshopify.com"
TOKEN = "shpat_e2e_secret_token_123"
ORDERS = 300
JOB = """
  id status syncMode error bulkOperationStatus
  stats { linesRead bytesRead ordersCreated ordersUpdated ordersUnchanged ordersSkipped
          lineItemsWritten lineItemsSkipped failedLines }
"""
CONNECT = f"""mutation($input: ConnectShopInput!) {{ connectShop(input: $input) {{ __typename
  ... on ShopConnected {{ shop {{ id domain }} initialJob {{ {JOB} }} }}
  ... on ValidationError {{ field message }} }} }}"""
START = f"""mutation($input: StartSyncJobInput!) {{ startSyncJob(input: $input) {{ __typename
  ... on SyncJobStarted {{ job {{ {JOB} }} }} ... on SyncJobAlreadyRunning {{ job {{ {JOB} }} }}
  ... on ValidationError {{ field message }} }} }}"""
GET = f"query($id: ID!) {{ syncJob(id: $id) {{ {JOB} }} }}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Stack:
    def __init__(self, group: ProcessGroup, api: GraphQLClient, sim: httpx.Client, sim_url: str):
        self.group, self.api, self.sim, self.sim_url = group, api, sim, sim_url

    def wait(self, job_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.group.check_alive()
            job: dict[str, Any] = self.api.execute(GET, {"id": job_id})["syncJob"]
            if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} still running after {timeout_s} s")

    def start(self, **job_input: Any) -> dict[str, Any]:
        result = self.api.execute(START, {"input": job_input})["startSyncJob"]
        assert result["__typename"] == "SyncJobStarted", result
        return self.wait(result["job"]["id"])

    def shopify_orders(self) -> dict[str, dict[str, Any]]:
        response = self.sim.get(
            f"{self.sim_url}/_sim/shops/{DOMAIN}/orders", params={"limit": 100_000}
        )
        response.raise_for_status()
        return {order["id"]: order for order in response.json()["orders"]}


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    sim_port, api_port = _free_port(), _free_port()
    sim_url, api_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{api_port}"
    env = {
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": f"e2e-{uuid.uuid4().hex[:8]}",
        "POLL_INITIAL_DELAY_S": "0.2",
        "POLL_MAX_DELAY_S": "0.5",
        "BATCH_BYTES": "65536",  # many batches, so checkpoints really advance mid-file
    }
    with ProcessGroup() as group, httpx.Client(timeout=30) as sim:
        group.start(
            ManagedProcess(
                "simulator",
                [
                    "simulator",
                    "--port",
                    str(sim_port),
                    "--orders",
                    str(ORDERS),
                    "--seed",
                    "7",
                    "--shop-domain",
                    DOMAIN,
                    "--access-token",
                    TOKEN,
                    "--run-seconds",
                    "0",
                ],
                env=env,
                log_dir=tmp_path,
                ready_url=f"{sim_url}/_sim/health",
            ),
            ready_timeout_s=60,
        )
        group.start(
            ManagedProcess(
                "api",
                ["api", "--port", str(api_port)],
                env=env,
                log_dir=tmp_path,
                ready_url=f"{api_url}/healthz",
            ),
            ready_timeout_s=60,
        )
        group.start(
            ManagedProcess("worker", ["worker", "--threads", "2"], env=env, log_dir=tmp_path)
        )
        with GraphQLClient(f"{api_url}/graphql") as api:
            yield Stack(group, api, sim, sim_url)


def _rows(database_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        orders = {row["id"]: row for row in conn.execute("SELECT * FROM orders")}
        items = {row["id"]: row for row in conn.execute("SELECT * FROM line_items")}
    return orders, items


def _assert_mirror(database_url: str, shopify: dict[str, dict[str, Any]]) -> None:
    """The database holds exactly Shopify's orders and line items, field for field."""
    orders, items = _rows(database_url)
    assert set(orders) == set(shopify)
    expected_items = {
        item["id"]: (order_id, item)
        for order_id, order in shopify.items()
        for item in order["lineItems"]
    }
    assert set(items) == set(expected_items)
    for order_id, order in shopify.items():
        row = orders[order_id]
        assert row["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == order["updatedAt"]
        assert row["name"] == order["name"]
        assert row["email"] == order["email"]
        assert row["total_price"] == Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        assert row["raw"]["updatedAt"] == order["updatedAt"]
    for item_id, (order_id, item) in expected_items.items():
        assert items[item_id]["order_id"] == order_id
        assert items[item_id]["quantity"] == item["quantity"]
        assert items[item_id]["title"] == item["title"]


def test_populate_populate_update(stack: Stack, database_url: str) -> None:
    connected = stack.api.execute(
        CONNECT,
        {"input": {"domain": DOMAIN, "accessToken": TOKEN, "adminUrl": stack.sim_url}},
    )["connectShop"]
    assert connected["__typename"] == "ShopConnected", connected
    shop_id = connected["shop"]["id"]
    initial = connected["initialJob"]
    assert initial["syncMode"] == "POPULATE"

    # 1. The initial POPULATE creates every order and line item.
    populate = stack.wait(initial["id"])
    assert populate["status"] == "COMPLETED", populate
    shopify = stack.shopify_orders()
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    assert len(shopify) == ORDERS
    stats = populate["stats"]
    assert stats["ordersCreated"] == ORDERS
    assert stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == ORDERS + line_items
    assert stats["ordersSkipped"] == stats["ordersUpdated"] == stats["failedLines"] == 0
    assert stats["bytesRead"] > 0
    _assert_mirror(database_url, shopify)
    before_orders, before_items = _rows(database_url)

    # 2. A second POPULATE skips everything and rewrites nothing.
    again = stack.start(shopId=shop_id, syncMode="POPULATE")
    assert again["status"] == "COMPLETED", again
    assert again["stats"]["ordersSkipped"] == ORDERS
    assert again["stats"]["ordersCreated"] == again["stats"]["lineItemsWritten"] == 0
    assert again["stats"]["lineItemsSkipped"] == line_items
    assert _rows(database_url) == (before_orders, before_items)

    # 3. Shopify changes some orders and adds some; UPDATE brings exactly those.
    response = stack.sim.post(
        f"{stack.sim_url}/_sim/shops/{DOMAIN}/orders/mutate",
        json={"update": 20, "create": 5, "seed": 3},
    )
    response.raise_for_status()
    changed = response.json()
    assert len(changed["updated"]) == 20 and len(changed["created"]) == 5
    update = stack.start(shopId=shop_id, syncMode="UPDATE", staleAfterMins=60)
    assert update["status"] == "COMPLETED", update
    assert update["stats"]["ordersCreated"] == 5
    assert update["stats"]["ordersUpdated"] == 20
    assert update["stats"]["failedLines"] == 0
    shopify = stack.shopify_orders()
    _assert_mirror(database_url, shopify)
    after_orders, after_items = _rows(database_url)
    touched = set(changed["updated"]) | set(changed["created"])
    for order_id, row in before_orders.items():
        if order_id not in touched:
            assert after_orders[order_id] == row, f"{order_id} was rewritten"
    for item_id, row in before_items.items():
        if row["order_id"] not in touched:
            assert after_items[item_id] == row, f"{item_id} was rewritten"
