"""A worker SIGKILLed in the middle of a RECONCILE's ids: nothing is marked deleted before the
whole file is read, and a new worker resumes from the last committed checkpoint (every id
staged once) and marks exactly the orders Shopify deleted. Real processes and RabbitMQ."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from cli.remote.documents import START_JOB
from tests.support.broker import delete_queues
from tests.support.kill import JobRow, job_row, wait_for_row
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

DOMAIN = "reconcile-kill.myshopify.com"
TOKEN = "shpat_reconcile_kill_token_123"
ORDERS = 6000
GONE = 5
ENV = {
    "POLL_INITIAL_DELAY_S": "0.2",
    "POLL_MAX_DELAY_S": "0.5",
    "BATCH_BYTES": "1024",  # ~25 ids a batch: hundreds of checkpoints to land between
    "INGEST_SLICE_S": "1",
    "HTTP_TIMEOUT_S": "2",
}
STATS = "query Job($id: ID!) { syncJob(id: $id) { stats { linesRead bytesRead ordersDeleted } } }"


def _seed_mirror(database_url: str, shop_id: int, shopify: dict[str, dict[str, Any]]) -> None:
    """The mirror of every Shopify order (ids and instants are all a RECONCILE compares)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE sync_jobs SET status = 'CANCELLED' WHERE shop_id = %s", (shop_id,))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO orders (shop_id, id, legacy_resource_id, created_at, updated_at, raw)"
                " VALUES (%s, %s, %s, %s, %s, '{}') ON CONFLICT DO NOTHING",
                [
                    (shop_id, o["id"], int(o["legacyResourceId"]), o["createdAt"], o["updatedAt"])
                    for o in shopify.values()
                ],
            )


def _deleted(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id FROM orders WHERE deleted_at IS NOT NULL").fetchall()
    return {str(row[0]) for row in rows}


def test_worker_killed_mid_reconcile_resumes_and_deletes_exactly_the_deleted_orders(
    rabbitmq_url: str, database_url: str, tmp_path: Path
) -> None:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    try:
        with stack.run(
            database_url=database_url,
            redis_url=rabbitmq_url,
            queue_prefix="reconcile-kill",
            seed=3,
            env=ENV,
            simulator_args=["--run-seconds", "0"],
        ):
            shop_id = int(stack.connect()["shop"]["id"])
            shopify = stack.shopify_orders()
            _seed_mirror(database_url, shop_id, shopify)
            gone = sorted(shopify)[1 : 1 + GONE * 97 : 97]  # spread over the shop's ids
            for order_id in gone:
                legacy = shopify[order_id]["legacyResourceId"]
                url = f"{stack.sim_url}/_sim/shops/{DOMAIN}/orders/{legacy}"
                httpx.delete(url, timeout=10).raise_for_status()

            started = stack.api.execute(
                START_JOB, {"input": {"shopId": str(shop_id), "syncMode": "RECONCILE"}}
            )["startSyncJob"]
            assert started["__typename"] == "SyncJobStarted", started
            job_id = started["job"]["id"]

            def mid_file(row: JobRow) -> bool:
                return (
                    row.status == "RUNNING"
                    and row.result_file_size is not None
                    and 0 < row.checkpoint_byte < row.result_file_size // 2
                    and row.lease_held
                )

            wait_for_row(stack, database_url, job_id, mid_file)
            stack.kill_worker()
            time.sleep(0.5)  # a batch whose COMMIT was already sent may still land
            killed_at = job_row(database_url, job_id)
            assert killed_at.result_file_size is not None
            assert 0 < killed_at.checkpoint_byte < killed_at.result_file_size, killed_at
            assert _deleted(database_url) == set()  # nothing before the whole file is read

            stack.start_worker()
            job = stack.wait(job_id, timeout_s=60)
            assert job["status"] == "COMPLETED", job
            stats = stack.api.execute(STATS, {"id": job_id})["syncJob"]["stats"]
            row = job_row(database_url, job_id)
            assert stats == {
                "linesRead": ORDERS - GONE,  # every id once: resumed at the checkpoint
                "bytesRead": row.result_file_size,
                "ordersDeleted": GONE,
            }
            assert _deleted(database_url) == set(gone)
            assert len(stack.sim_get("/_sim/operations", shop=DOMAIN)) == 2  # initial + this
    finally:
        if stack.env:
            delete_queues(rabbitmq_url, stack.queue_name)
