"""Serving speed vs raw Postgres COPY, and flat memory for big stores (slow)."""

from __future__ import annotations

import statistics
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from simulator.config import ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import TOKEN, Api

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
FULL_QUERY = """{ orders { edges { node {
  id name createdAt updatedAt processedAt cancelledAt
  displayFinancialStatus displayFulfillmentStatus
  email currencyCode tags totalPriceSet { shopMoney { amount currencyCode } }
  customer { id }
  lineItems { edges { node { id sku title quantity variantTitle
    originalUnitPriceSet { shopMoney { amount currencyCode } } } } }
} } } }"""

pytestmark = pytest.mark.slow


def _server(orders: int) -> SimulatorServer:
    shop = ShopConfig(access_token=TOKEN, orders=orders, seed=11)
    return SimulatorServer(SimulatorConfig(shops=[shop], run_seconds=0.0))


def _export(api: Api, inner: str) -> dict[str, str]:
    op = api.run(inner)["bulkOperation"]
    return api.wait(op["id"], timeout=600)


def _download(url: str) -> tuple[float, int]:
    with httpx.Client(timeout=60) as plain:
        started = time.perf_counter()
        total = 0
        with plain.stream("GET", url) as response:
            assert response.status_code == 200
            for chunk in response.iter_raw(1 << 20):
                total += len(chunk)
        return time.perf_counter() - started, total


def _copy(conn: psycopg.Connection[tuple[object, ...]], table: str, path: Path) -> float:
    conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
    copy_sql = sql.SQL(
        "COPY {} (doc) FROM STDIN (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
    ).format(sql.Identifier(table))
    started = time.perf_counter()
    with conn.cursor() as cur, cur.copy(copy_sql) as copy, path.open("rb") as handle:
        while block := handle.read(1 << 20):
            copy.write(block)
    return time.perf_counter() - started


@pytest.fixture
def pg() -> Iterator[tuple[psycopg.Connection[tuple[object, ...]], str]]:
    table = f"sim_perf_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (doc jsonb)").format(sql.Identifier(table)))
        try:
            yield conn, table
        finally:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def test_serving_is_3x_faster_than_copy(
    pg: tuple[psycopg.Connection[tuple[object, ...]], str], tmp_path: Path
) -> None:
    conn, table = pg
    with (
        _server(60_000) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=60
        ) as client,
    ):
        op = _export(Api(client), FULL_QUERY)
        assert int(op["rootObjectCount"]) == 60_000
        local = tmp_path / "export.jsonl"
        with (
            httpx.Client(timeout=60) as plain,
            local.open("wb") as out,
            plain.stream("GET", op["url"]) as response,
        ):
            for chunk in response.iter_raw(1 << 20):
                out.write(chunk)
        serve_times, copy_times = [], []
        for _ in range(3):
            seconds, size = _download(op["url"])
            assert size == int(op["fileSize"])
            serve_times.append(seconds)
            copy_times.append(_copy(conn, table, local))
    serve, copy = statistics.median(serve_times), statistics.median(copy_times)
    ratio = copy / serve
    mib = int(op["fileSize"]) / (1 << 20)
    print(
        f"\nexport {mib:.1f} MiB, {op['objectCount']} lines: serve {serve * 1000:.0f} ms "
        f"({mib / serve:.0f} MiB/s), COPY {copy * 1000:.0f} ms ({mib / copy:.0f} MiB/s), "
        f"ratio {ratio:.1f}x"
    )
    assert ratio >= 3.0


def _peak_for(orders: int, window_days: float) -> tuple[int, int]:
    """Peak traced memory of rendering + serving a narrow created_at window from a store."""
    with (
        _server(orders) as server,
        httpx.Client(
            base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=60
        ) as client,
    ):
        since = datetime.now(UTC) - timedelta(days=window_days)
        inner = FULL_QUERY.replace(
            "orders {", f"orders(query: \"created_at:>='{since:%Y-%m-%dT%H:%M:%SZ}'\") {{", 1
        )
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            op = _export(Api(client), inner)
            _download(op["url"])
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        return peak, int(op["rootObjectCount"])


def test_memory_is_flat_for_big_stores() -> None:
    small_peak, small_roots = _peak_for(10_000, 100)
    big_peak, big_roots = _peak_for(1_000_000, 1)
    print(
        f"\npeak traced memory: 10k store {small_peak / 1024:.0f} KiB ({small_roots} orders), "
        f"1M store {big_peak / 1024:.0f} KiB ({big_roots} orders)"
    )
    assert small_roots > 100 and big_roots > 100
    assert big_peak < small_peak * 1.5 + (2 << 20)
