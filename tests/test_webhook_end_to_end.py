"""The finish webhook end to end: connectShop subscribes, the simulator delivers to the real API,
the API wakes the real worker. Polling is slowed to 30 s, so only the webhook finishes a job fast;
duplicate and early deliveries still give one exact import."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from cli.graphql_client import GraphQLClient
from cli.processes import ManagedProcess, ProcessGroup

pytestmark = pytest.mark.slow

DOMAIN = "hooks.myshopify.com"
TOKEN = "shpat_webhook_e2e_token_456"
SECRET = "shpss_webhook_e2e_secret_789"
ORDERS = 120
POLL_DELAY_S = 30.0
# Submit, 0.2 s CREATED + 1 s RUNNING in the simulator, delivery, ingest: far below a poll.
WOKEN_WITHIN_S = 15.0
JOB = """
  id status error bulkOperationId
  stats { linesRead ordersCreated ordersUpdated ordersSkipped lineItemsWritten failedLines }
"""
CONNECT = f"""mutation($input: ConnectShopInput!) {{ connectShop(input: $input) {{ __typename
  ... on ShopConnected {{ shop {{ id }} initialJob {{ {JOB} }} }} }} }}"""
GET = f"query($id: ID!) {{ syncJob(id: $id) {{ {JOB} }} }}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Stack:
    def __init__(
        self, group: ProcessGroup, api: GraphQLClient, api_url: str, sim_url: str, logs: Path
    ) -> None:
        self.group, self.api, self.api_url, self.sim_url, self.logs = (
            group,
            api,
            api_url,
            sim_url,
            logs,
        )

    def connect(self) -> dict[str, Any]:
        variables = {"domain": DOMAIN, "accessToken": TOKEN, "adminUrl": self.sim_url}
        result: dict[str, Any] = self.api.execute(CONNECT, {"input": variables})["connectShop"]
        assert result["__typename"] == "ShopConnected", result
        return result

    def wait(self, job_id: str, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.group.check_alive()
            job: dict[str, Any] = self.api.execute(GET, {"id": job_id})["syncJob"]
            if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} not finished within {timeout_s} s")

    def sim(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.sim_url}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def add_fault(self, kind: str, **params: Any) -> None:
        body = {"kind": kind, "shop": DOMAIN, "params": params}
        httpx.post(f"{self.sim_url}/_sim/faults", json=body, timeout=10).raise_for_status()

    def line_items_in_shopify(self) -> int:
        orders = self.sim(f"/_sim/shops/{DOMAIN}/orders", limit=100_000)["orders"]
        assert len(orders) == ORDERS
        return sum(len(order["lineItems"]) for order in orders)

    def wait_for_deliveries(self, operation_id: str, count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        while True:
            found = [
                d
                for d in self.sim("/_sim/webhooks")["deliveries"]
                if d["operationId"] == operation_id
            ]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    sim_port, api_port = _free_port(), _free_port()
    sim_url, api_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{api_port}"
    env = {
        "DATABASE_URL": database_url,
        "BROKER_URL": redis_url,
        "QUEUE_NAME": f"e2e-hooks-{uuid.uuid4().hex[:8]}",
        "WEBHOOK_SECRET": SECRET,
        "PUBLIC_URL": api_url,
        "POLL_INITIAL_DELAY_S": str(POLL_DELAY_S),
        "POLL_MAX_DELAY_S": str(POLL_DELAY_S),
    }
    simulator_args = [
        *("simulator", "--port", str(sim_port), "--orders", str(ORDERS), "--seed", "11"),
        *("--shop-domain", DOMAIN, "--access-token", TOKEN, "--webhook-secret", SECRET),
        *("--run-seconds", "1", "--created-seconds", "0.2"),
    ]
    with ProcessGroup() as group:
        group.start(
            ManagedProcess(
                "simulator",
                simulator_args,
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
            yield Stack(group, api, api_url, sim_url, tmp_path)


def _counts(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()
        items = conn.execute("SELECT count(*) FROM line_items").fetchone()
    assert orders is not None and items is not None
    return int(orders[0]), int(items[0])


def _assert_exact_import(stack: Stack, job: dict[str, Any], database_url: str) -> None:
    assert job["status"] == "COMPLETED", job
    line_items = stack.line_items_in_shopify()
    stats = job["stats"]
    assert stats["ordersCreated"] == ORDERS
    assert stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == ORDERS + line_items
    assert stats["ordersUpdated"] == stats["ordersSkipped"] == stats["failedLines"] == 0
    assert _counts(database_url) == (ORDERS, line_items)
    (operation,) = stack.sim("/_sim/operations", shop=DOMAIN)  # one bulk operation, no resubmit
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
    hooks = stack.sim("/_sim/webhooks")
    (subscription,) = hooks["subscriptions"]
    assert subscription["topic"] == "BULK_OPERATIONS_FINISH"
    assert subscription["uri"] == f"{stack.api_url}/webhooks/shopify"
    (delivery,) = stack.wait_for_deliveries(job["bulkOperationId"], 1)
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
    stack.add_fault("webhook_duplicate", times=3)
    stack.add_fault("webhook_early", delay=2.0)
    initial = stack.connect()["initialJob"]

    # The early wake-up finds the operation RUNNING and must not trust the webhook: the job
    # finishes on a later poll (30 s), never by ingesting an unfinished operation.
    job = stack.wait(initial["id"], timeout_s=3 * POLL_DELAY_S)

    _assert_exact_import(stack, job, database_url)
    (operation,) = stack.sim("/_sim/operations", shop=DOMAIN)
    assert "webhook_early" in operation["faults"]
    deliveries = stack.wait_for_deliveries(job["bulkOperationId"], 3)
    assert [d["outcome"] for d in deliveries] == ["200", "200", "200"]
    # The wake-up re-polled (and saw RUNNING) before a later poll saw COMPLETED.
    polls = stack.sim("/_sim/requests", shop=DOMAIN, kind="poll")
    assert len(polls) >= 2
    _assert_no_secrets_logged(stack)
