"""A job split into five bulk operations through the real processes: the API starts it, a
Dramatiq worker on Redis plans it, enqueues its ranges, each wakes the parent when it ends, and
the API returns one job whose stats are the sum; the mirror is exact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.mirror import assert_mirror
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

DOMAIN = "ranges.myshopify.com"
TOKEN = "shpat_ranges_secret_token_123"
ORDERS = 300


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(domain=DOMAIN, token=TOKEN, orders=ORDERS, logs=tmp_path)
    env = {
        "POLL_INITIAL_DELAY_S": "0.2",
        "POLL_MAX_DELAY_S": "0.5",
        "BATCH_BYTES": "65536",
        "BULK_OPERATIONS_PER_JOB": "5",
        "BULK_MIN_ORDERS_PER_OPERATION": "1",  # a small shop, split all the same
    }
    with stack.run(
        database_url=database_url,
        redis_url=redis_url,
        queue_prefix="ranges",
        seed=7,
        env=env,
        simulator_args=["--run-seconds", "0"],
    ):
        yield stack


def test_a_populate_runs_five_operations_and_reads_as_one_job(
    stack: Stack, database_url: str
) -> None:
    connected = stack.connect()
    job = stack.wait(connected["initialJob"]["id"])
    assert job["status"] == "COMPLETED", job
    shopify = stack.shopify_orders()
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    stats = job["stats"]
    assert stats["ordersCreated"] == ORDERS and stats["lineItemsWritten"] == line_items
    assert stats["linesRead"] == ORDERS + line_items
    assert job["bulkOperationStatus"] == "COMPLETED"
    assert_mirror(database_url, shopify)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT status, bulk_attempts, lines_read FROM sync_jobs WHERE parent_job_id = %s",
            (int(job["id"]),),
        ).fetchall()
    assert len(rows) == 5 and {status for status, _, _ in rows} == {"COMPLETED"}
    assert sum(lines for _, _, lines in rows) == stats["linesRead"]
    # The API lists the one job, not its ranges.
    listed = stack.api.execute("query { syncJobs(first: 10) { id } }", {})["syncJobs"]
    assert [j["id"] for j in listed] == [job["id"]]
