"""A POPULATE or FULL job is split only when its window holds enough orders: ordersCount, then
clamp(count // BULK_MIN_ORDERS_PER_OPERATION, 1, N) operations, against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from bulk import ranges
from bulk.jobs import JobRequest, create_job
from bulk.shopify import OrdersCount, ShopifyClient, ShopifyEndpoint
from bulk.types import JobStatus, SyncMode
from bulk.workflow import JobRunner
from simulator.server import SimulatorServer
from tests.support.job_family import run_family
from tests.support.order_compare import mismatches, sim_orders
from tests.support.shopify_sim import (
    DEV_POLICY,
    add_fault,
    fast_settings,
    job_of,
    make_runner,
    new_job,
    sim_config,
    sim_operations,
    sim_requests,
    store_shop,
)

ORDERS = 300
N = 5


class _Asked:
    """The ordersCount questions the runner's clients asked: (search, limit)."""

    def __init__(self) -> None:
        self.counts: list[tuple[str | None, int]] = []

    def client(self, endpoint: ShopifyEndpoint) -> ShopifyClient:
        asked = self.counts

        class Recording(ShopifyClient):
            def orders_count(self, search: str | None, *, limit: int) -> OrdersCount:
                asked.append((search, limit))
                return super().orders_count(search, limit=limit)

        return Recording(endpoint, max_retries=2, policy=DEV_POLICY)


@contextmanager
def _runner(database_url: str, asked: _Asked, minimum: int) -> Iterator[JobRunner]:
    settings = fast_settings(
        database_url, bulk_operations_per_job=N, bulk_min_orders_per_operation=minimum
    )
    with ConnectionPool(
        database_url, min_size=1, max_size=8, open=True, kwargs={"autocommit": True}
    ) as pool:
        yield make_runner(pool, settings, client_factory=asked.client)


def _oldest_order_requests(server: SimulatorServer) -> list[dict[str, Any]]:
    return [r for r in sim_requests(server, "query") if r["fields"] == ["orders"]]


def _count_requests(server: SimulatorServer) -> list[dict[str, Any]]:
    return [r for r in sim_requests(server, "query") if r["fields"] == ["ordersCount"]]


@pytest.mark.parametrize(
    ("minimum", "operations"),
    [
        (ORDERS // 2 - 30, 2),  # 2.5 times the minimum: two operations
        (ORDERS // 6, 5),  # 6 times: capped at N
        (1, 5),
    ],
)
def test_operations_follow_the_count(
    conn: psycopg.Connection[Any], database_url: str, minimum: int, operations: int
) -> None:
    asked = _Asked()
    with SimulatorServer(sim_config(ORDERS)) as server:
        job_id = new_job(conn, store_shop(conn, server), SyncMode.FULL)
        with _runner(database_url, asked, minimum) as runner:
            run_family(runner, job_id)
        parent = job_of(conn, job_id)
        assert parent.status is JobStatus.COMPLETED, parent.error
        assert parent.range_count == operations
        assert len(ranges.children(conn, job_id)) == operations
        assert len(sim_operations(server)) == operations
        # Counted once, no further than it matters; then the oldest order, for the ranges.
        assert asked.counts == [(None, N * minimum)]
        assert len(_count_requests(server)) == 1 and len(_oldest_order_requests(server)) == 1
        assert mismatches(database_url, sim_orders(server.base_url, ORDERS)) == []
        assert parent.stats.orders_created == ORDERS


def test_below_the_minimum_one_operation_and_no_oldest_order_request(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    asked = _Asked()
    with SimulatorServer(sim_config(ORDERS)) as server:
        job_id = new_job(conn, store_shop(conn, server), SyncMode.FULL)
        with _runner(database_url, asked, ORDERS + 1) as runner:
            family = run_family(runner, job_id)
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED, job.error
        # Exactly the single-operation path: the job's own operation, no children.
        assert job.range_count == 1 and ranges.children(conn, job_id) == []
        assert set(family.steps) == {job_id}
        (operation,) = sim_operations(server)
        assert operation["id"] == job.bulk_operation_id
        assert asked.counts == [(None, N * (ORDERS + 1))]
        assert len(_count_requests(server)) == 1
        assert _oldest_order_requests(server) == []
        assert job.stats.orders_created == ORDERS


def test_a_populate_counts_its_own_window(conn: psycopg.Connection[Any], database_url: str) -> None:
    asked = _Asked()
    with SimulatorServer(sim_config(ORDERS)) as server:
        shop_id = store_shop(conn, server)
        request = JobRequest(shop_id=shop_id, sync_mode=SyncMode.POPULATE, days=30)
        job_id = create_job(conn, request).job.id
        with _runner(database_url, asked, 1) as runner:
            run_family(runner, job_id)
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED, job.error
        assert job.filter_since is not None
        since = job.filter_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert asked.counts == [(f"created_at:>='{since}'", N)]
        assert datetime.now(UTC) - job.filter_since < timedelta(days=31)


def test_a_count_that_fails_leaves_one_operation_and_the_job_completes(
    conn: psycopg.Connection[Any], database_url: str
) -> None:
    asked = _Asked()
    with SimulatorServer(sim_config(ORDERS)) as server:
        job_id = new_job(conn, store_shop(conn, server), SyncMode.FULL)
        # The job's first request is the count: it fails on every try the client makes (one and
        # its two retries, the client's own rules for a 503).
        add_fault(server, "http_status", count=3, params={"status": 503})
        with _runner(database_url, asked, 1) as runner:
            family = run_family(runner, job_id)
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED, job.error
        assert job.range_count == 1 and ranges.children(conn, job_id) == []
        assert set(family.steps) == {job_id}
        assert asked.counts == [(None, N)]
        faults = [r for r in sim_requests(server, "fault") if r["status"] == 503]
        assert len(faults) == 3
        assert _count_requests(server) == [] and _oldest_order_requests(server) == []
        assert len(sim_operations(server)) == 1
        assert job.stats.orders_created == ORDERS
