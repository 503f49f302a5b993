"""Two versions of one order in one export: the newest updatedAt wins, with exactly its line items.

A line item belongs to the nearest preceding line of its order, or to the next one when it comes
before every line of its order (see bulk/ingest/engine.py).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest

from bulk.types import JobStatus, SyncMode
from simulator.server import SimulatorServer
from tests.support.ingest import (
    assert_identity,
    item,
    jsonl,
    make_job,
    make_shop,
    order,
    run,
)
from tests.support.shopify_sim import (
    TOKEN,
    add_fault,
    job_of,
    new_job,
    run_job,
    sim_config,
    sim_operations,
    store_shop,
)

Conn = psycopg.Connection[Any]

OLD = "2026-01-01T00:00:00Z"
T_A = "2026-02-01T00:00:00Z"
T_B = "2026-03-01T00:00:00Z"


def _version(name: str, updated: str, items: dict[int, str]) -> list[dict[str, Any]]:
    return [order(1, updated, name=name)] + [item(n, 1, sku=sku) for n, sku in items.items()]


A = _version("A", T_A, {11: "A11", 12: "A12"})
B = _version("B", T_B, {12: "B12", 13: "B13"})
OTHER = [order(2), item(21, 2)]


def _layouts() -> dict[str, list[dict[str, Any]]]:
    return {
        "older_first": A + OTHER + B,
        "newer_first": B + OTHER + A,
        # A child before every line of its order belongs to the next one (the first version).
        "child_first_older_first": [A[1], A[0], A[2], *OTHER, *B],
        "child_first_newer_first": [B[1], B[0], B[2], *OTHER, *A],
        "adjacent": A + B + OTHER,
    }


def _stored(conn: Conn) -> tuple[Any, dict[str, str]]:
    row = conn.execute(
        "SELECT name, updated_at::text FROM orders WHERE id = 'gid://shopify/Order/1'"
    ).fetchone()
    skus = conn.execute(
        "SELECT id, sku FROM line_items WHERE order_id = 'gid://shopify/Order/1' ORDER BY id"
    ).fetchall()
    return row, {str(r[0]).rsplit("/", 1)[1]: str(r[1]) for r in skus}


@pytest.mark.parametrize("batch_bytes", [1, 400, 1 << 20])
@pytest.mark.parametrize("layout", list(_layouts()))
@pytest.mark.parametrize("mode", [SyncMode.POPULATE, SyncMode.UPDATE, SyncMode.FULL])
def test_the_newest_version_and_only_its_line_items_are_stored(
    conn: Conn, mode: SyncMode, layout: str, batch_bytes: int
) -> None:
    shop = make_shop(conn)
    if mode is not SyncMode.POPULATE:
        # An older stored version with a line item neither new version has.
        run(conn, jsonl(_version("old", OLD, {11: "O11", 14: "O14"})),
            job_id=make_job(conn, shop, mode), shop_id=shop, mode=mode)  # fmt: skip
    job = make_job(conn, shop, mode)
    run(conn, jsonl(_layouts()[layout]), job_id=job, shop_id=shop, mode=mode,
        batch_bytes=batch_bytes, chunk_size=29)  # fmt: skip
    assert _stored(conn) == (("B", "2026-03-01 00:00:00+00"), {"12": "B12", "13": "B13"})
    assert conn.execute("SELECT count(*) FROM line_items").fetchone() == (3,)
    stats = assert_identity(conn, job)
    assert stats["lines_superseded"] == 1  # the other line of order 1
    assert stats["failed_lines"] == 0


def test_equal_updated_at_the_later_line_wins(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = _version("first", T_A, {11: "F11"}) + _version("second", T_A, {12: "S12"})
    run(conn, jsonl(data), job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=1)
    assert _stored(conn) == (("second", "2026-02-01 00:00:00+00"), {"12": "S12"})


def test_a_later_job_keeps_newer_data_and_an_older_second_version_writes_nothing(
    conn: Conn,
) -> None:
    shop = make_shop(conn)
    run(conn, jsonl(B), job_id=make_job(conn, shop, SyncMode.FULL), shop_id=shop,
        mode=SyncMode.FULL)  # fmt: skip
    job = make_job(conn, shop, SyncMode.FULL)
    # This job sees a newer version first, then the stored one: nothing of A is written.
    newest = _version("C", "2026-04-01T00:00:00Z", {12: "C12"})
    run(conn, jsonl(newest + A), job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=1)
    assert _stored(conn) == (("C", "2026-04-01 00:00:00+00"), {"12": "C12"})
    assert assert_identity(conn, job)["line_items_skipped"] == 2


def _result_url(server: SimulatorServer, operation_id: str) -> str | None:
    response = httpx.post(
        f"{server.base_url}/admin/api/2026-04/graphql.json",
        headers={"X-Shopify-Access-Token": TOKEN},
        json={
            "query": "query($id: ID!) { node(id: $id) { ... on BulkOperation { url } } }",
            "variables": {"id": operation_id},
        },
    )
    response.raise_for_status()
    url: str | None = response.json()["data"]["node"]["url"]
    return url


def _export(url: str | None) -> list[dict[str, Any]]:
    assert url is not None
    response = httpx.get(url)
    response.raise_for_status()
    return [json.loads(line) for line in response.content.splitlines()]


@pytest.mark.parametrize("newer_first", [False, True])
def test_an_order_updated_during_the_export_is_stored_as_its_newest_version(
    conn: Conn, database_url: str, newer_first: bool
) -> None:
    with SimulatorServer(sim_config(12)) as server:
        add_fault(server, "updated_during_export", params={"order": 3, "newer_first": newer_first})
        shop_id = store_shop(conn, server)
        job_id = new_job(conn, shop_id)
        run_job(database_url, job_id, settings={"batch_bytes": 2048})
        job = job_of(conn, job_id)
        assert job.status is JobStatus.COMPLETED, job.error
        assert [op["faults"] for op in sim_operations(server)] == [["updated_during_export"]]
        # The job's own copy of the signed URL is cleared when it finishes: ask Shopify.
        assert job.bulk_operation_id is not None
        lines = _export(_result_url(server, job.bulk_operation_id))
    versions = [line for line in lines if "__parentId" not in line]
    counts: dict[str, int] = {}
    for line in versions:
        counts[line["id"]] = counts.get(line["id"], 0) + 1
    (twice,) = [order_id for order_id, n in counts.items() if n == 2]
    newest = max((line for line in versions if line["id"] == twice), key=lambda v: v["updatedAt"])
    stored = conn.execute(
        "SELECT raw FROM orders WHERE shop_id = %s AND id = %s", (shop_id, twice)
    ).fetchone()
    assert stored is not None and stored[0] == newest
    # Its line items by the rule: nearest preceding line of the order, else the next one.
    lines_of_order = [i for i, line in enumerate(lines) if line["id"] == twice]
    winner = lines.index(newest)
    expected = []
    for i, line in enumerate(lines):
        if line.get("__parentId") != twice:
            continue
        before = [n for n in lines_of_order if n < i]
        owner = before[-1] if before else min(n for n in lines_of_order if n > i)
        if owner == winner:
            expected.append(line)
    rows = conn.execute(
        "SELECT raw FROM line_items WHERE shop_id = %s AND order_id = %s ORDER BY id",
        (shop_id, twice),
    ).fetchall()
    assert sorted(r[0]["id"] for r in rows) == sorted(line["id"] for line in expected)
    assert [r[0] for r in rows] == sorted(expected, key=lambda line: str(line["id"]))
    stats = assert_identity(conn, job_id)
    assert stats["lines_superseded"] == 1 and stats["lines_read"] == len(lines)


def test_a_line_item_under_two_orders_in_one_batch_is_written_once(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = [order(1), item(11, 1, sku="first"), order(2), item(11, 2, sku="last")]
    run(conn, jsonl(data), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    rows = conn.execute("SELECT id, order_id, sku FROM line_items").fetchall()
    assert rows == [("gid://shopify/LineItem/11", "gid://shopify/Order/2", "last")]
    assert assert_identity(conn, job)["lines_superseded"] == 1
