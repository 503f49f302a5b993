"""What the worker-kill and sweeper-recovery tests share: a stack tuned so kills land between
checkpoints, a job's row read directly, and the check that a job ran exactly once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support.mirror import assert_mirror
from tests.support.stack import Stack

DOMAIN = "kill.myshopify.com"
TOKEN = "shpat_kill_secret_token_123"

# Lease = INGEST_SLICE_S + 4 * HTTP_TIMEOUT_S = 9 s: the new worker waits that long at most for
# the dead worker's lease to expire.
ENV = {
    "POLL_INITIAL_DELAY_S": "0.2",
    "POLL_MAX_DELAY_S": "0.5",
    "BATCH_BYTES": "32768",  # many batches: the kill lands between two committed checkpoints
    "INGEST_SLICE_S": "1",
    "HTTP_TIMEOUT_S": "2",
    # Redis only (RabbitMQ ignores them): a dead worker's unacked messages come back within
    # seconds instead of (on average) many minutes.
    "BROKER_HEARTBEAT_TIMEOUT_S": "3",
    "BROKER_MAINTENANCE_CHANCE": "250000",
}


@dataclass(frozen=True)
class JobRow:
    status: str
    bulk_operation_id: str | None
    bulk_status: str | None
    bulk_attempts: int
    poll_count: int
    checkpoint_line: int
    checkpoint_byte: int
    result_file_size: int | None
    lease_held: bool


def job_row(database_url: str, job_id: str) -> JobRow:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT status, bulk_operation_id, bulk_status, bulk_attempts, poll_count,"
            " checkpoint_line, checkpoint_byte, result_file_size,"
            " (lease_token IS NOT NULL AND lease_expires_at > now()) AS lease_held"
            " FROM sync_jobs WHERE id = %s",
            (int(job_id),),
        ).fetchone()
    assert row is not None
    return JobRow(**row)


def wait_for_row(
    stack: Stack, database_url: str, job_id: str, ready: Any, timeout_s: float = 60.0
) -> JobRow:
    """Read ``sync_jobs`` directly until ``ready(row)``; fail if the job ends first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.group.check_alive()
        row = job_row(database_url, job_id)
        if ready(row):
            return row
        assert row.status in ("QUEUED", "RUNNING"), f"the job ended before the kill: {row}"
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached the state to kill in")


# Added to the bulk query of the kill test's stack (EXTRA_ORDER_FIELDS): child lines of another
# connection beside the line items, stored in order_children.
METAFIELDS = "metafields { edges { node { id namespace key value type } } }"


def assert_exactly_once(
    stack: Stack, database_url: str, job: dict[str, Any], orders: int, *, metafields: bool = False
) -> None:
    """Rows, stats and bulk operations of a job that ran exactly once (``metafields``: its query
    added ``METAFIELDS``; they count with the line items)."""
    assert job["status"] == "COMPLETED", job
    shopify = stack.shopify_orders()
    assert len(shopify) == orders
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    assert_mirror(database_url, shopify)
    if metafields:
        expected = {
            field["id"]: (order_id, {**field, "__parentId": order_id})
            for order_id, order in shopify.items()
            for field in order["metafields"]
        }
        keys = ("id", "namespace", "key", "value", "type", "__parentId")
        with psycopg.connect(database_url) as conn:
            rows = conn.execute("SELECT id, order_id, raw FROM order_children").fetchall()
        assert {str(r[0]): (str(r[1]), {k: r[2][k] for k in keys}) for r in rows} == {
            key: (parent, {k: doc[k] for k in keys}) for key, (parent, doc) in expected.items()
        }
        line_items += len(expected)
    stats = job["stats"]
    assert stats["ordersCreated"] == orders
    assert stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == orders + line_items  # every line of the file, counted once
    assert stats["ordersSkipped"] == stats["ordersUpdated"] == stats["failedLines"] == 0
    # One bulk operation: the kill gave no reason to resubmit.
    operations = stack.sim_get("/_sim/operations", shop=DOMAIN)
    assert len(operations) == 1, operations
    assert [r["kind"] for r in stack.sim_get("/_sim/requests", shop=DOMAIN, kind="run")] == ["run"]
    row = job_row(database_url, job["id"])
    assert row.bulk_attempts == 1 and row.bulk_operation_id == operations[0]["id"]
    assert row.result_file_size is not None
    assert stats["bytesRead"] == row.result_file_size == operations[0]["fileSize"]
    assert (row.checkpoint_line, row.checkpoint_byte) == (orders + line_items, row.result_file_size)
