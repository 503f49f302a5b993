"""Adopt only your own operation: a lost bulkOperationRunQuery answer is reconciled without ever
taking an earlier job's operation (two FULL jobs send the same query text)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from bulk.orders_query import build_orders_query
from bulk.shopify import ShopifyClient, ShopifyEndpoint
from bulk.types import JobStatus, SyncMode
from simulator.server import SimulatorServer
from tests.support.shopify_sim import (
    DEV_POLICY,
    SHOP,
    TOKEN,
    add_fault,
    job_of,
    new_job,
    run_job,
    sim_config,
    sim_operations,
    sim_requests,
    store_shop,
)

NEW_EMAIL = "changed-after-the-first-export@example.com"


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(20)) as srv:
        yield srv


def _change_an_order(server: SimulatorServer, conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT id FROM orders ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    order_id = str(row[0])
    response = httpx.patch(
        f"{server.base_url}/_sim/shops/{SHOP}/orders/{order_id}",
        json={"fields": {"email": NEW_EMAIL, "updatedAt": "2030-01-01T00:00:00Z"}},
    )
    response.raise_for_status()
    return order_id


def _recorded(conn: psycopg.Connection[Any], job_id: int) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT operation_id, role FROM sync_job_operations WHERE job_id = %s"
        " AND role IN ('submitted', 'adopted') ORDER BY recorded_at",
        (job_id,),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


@pytest.mark.parametrize("api_version", ["2026-04", "2025-10"])
@pytest.mark.parametrize("executed", [False, True], ids=["lost_before_created", "lost_after"])
def test_a_lost_submit_answer_never_adopts_an_earlier_jobs_operation(
    server: SimulatorServer,
    conn: psycopg.Connection[Any],
    database_url: str,
    api_version: str,
    executed: bool,
) -> None:
    shop_id = store_shop(conn, server, api_version=api_version)
    first = new_job(conn, shop_id)
    run_job(database_url, first)
    first_op = job_of(conn, first).bulk_operation_id
    assert job_of(conn, first).status is JobStatus.COMPLETED and first_op
    order_id = _change_an_order(server, conn)

    add_fault(server, "lose_answer", params={"kind": "run", "executed": executed})
    second = new_job(conn, shop_id)
    run_job(database_url, second)

    job = job_of(conn, second)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.bulk_operation_id != first_op  # not the first job's (stale) file
    email = conn.execute("SELECT email FROM orders WHERE id = %s", (order_id,)).fetchone()
    assert email == (NEW_EMAIL,)
    ops = sim_operations(server)
    assert len(ops) == 2  # lost after creation: that operation is adopted, not duplicated
    assert job.bulk_operation_id == ops[1]["id"]
    faults = [r for r in sim_requests(server) if r.get("fault") == "lose_answer"]
    assert len(faults) == 1
    assert _recorded(conn, first) == [(first_op, "submitted")]
    role = "adopted" if executed else "submitted"
    assert _recorded(conn, second) == [(ops[1]["id"], role)]


def test_an_operation_that_existed_before_the_submit_is_not_adopted_whatever_the_clocks(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    # Shopify's clock runs 5 minutes ahead of ours: by createdAt alone, an operation created
    # before the submit looks newer than it, past the skew allowance.
    httpx.post(f"{server.base_url}/_sim/clock", json={"advance_seconds": 300}).raise_for_status()
    shop_id = store_shop(conn, server)
    endpoint = ShopifyEndpoint(server.base_url, "2026-04", TOKEN)
    # Not a job's: e.g. a manual export, same query.
    with ShopifyClient(endpoint, policy=DEV_POLICY) as client:
        outside = client.run_bulk_query(
            build_orders_query(SyncMode.FULL, None), group_objects=False
        )
    add_fault(server, "lose_answer", params={"kind": "run", "executed": False})
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id)

    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.bulk_operation_id != outside.id
    assert [op["id"] for op in sim_operations(server)] == [outside.id, job.bulk_operation_id]
