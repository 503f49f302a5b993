"""Ingest engine: decisions per sync mode, layouts, batching, finish, removed line items."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.types import SyncMode
from tests.support.ingest import (
    assert_identity,
    dead_letters,
    decisions,
    item,
    job_stats,
    jsonl,
    make_ingestor,
    make_job,
    make_shop,
    order,
    run,
    shop_file,
    table_rows,
)

Conn = psycopg.Connection[Any]


def test_populate_on_empty_database_creates_everything(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.POPULATE)
    data = shop_file(5, 3)
    result = run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.POPULATE)
    assert result.eof and result.lines == 20 and result.checkpoint.byte == len(data)
    assert result.checkpoint.line == 20
    orders = table_rows(conn, "orders")
    assert len(orders) == 5 and len(table_rows(conn, "line_items")) == 15
    first = conn.execute(
        "SELECT legacy_resource_id, name, email, created_at::text, updated_at::text, closed, test,"
        " currency_code, display_financial_status, display_fulfillment_status, total_price::text,"
        " subtotal_price::text, total_tax::text, total_discounts::text, customer_id, tags,"
        " synced_job_id FROM orders WHERE id = 'gid://shopify/Order/1'"
    ).fetchone()
    assert first == (
        1, "#1001", "buyer1@example.com", "2025-12-01 10:00:00+00", "2026-01-01 00:00:00+00",
        False, False, "EUR", "PAID", "UNFULFILLED", "25.98", "20.0", "5.98", "0.0",
        "gid://shopify/Customer/1", ["vip", "t1"], job,
    )  # fmt: skip
    line = conn.execute(
        "SELECT order_id, sku, name, title, variant_title, vendor, quantity, current_quantity,"
        " original_unit_price::text, discounted_total::text, currency_code, synced_job_id"
        " FROM line_items WHERE id = 'gid://shopify/LineItem/101'"
    ).fetchone()
    assert line == (
        "gid://shopify/Order/1", "SKU-101", "Widget 101 - Large", "Widget 101", "Large", "Acme",
        2, 2, "10.0", "20.0", "EUR", job,
    )  # fmt: skip
    stats = job_stats(conn, job)
    assert stats == {
        "lines_read": 20, "bytes_read": len(data), "orders_created": 5, "orders_updated": 0,
        "orders_unchanged": 0, "orders_skipped": 0, "line_items_written": 15,
        "line_items_skipped": 0, "line_items_deleted": 0, "failed_lines": 0, "lines_superseded": 0,
        "checkpoint_line": 20, "checkpoint_byte": len(data),
    }  # fmt: skip
    assert set(decisions(conn, job).values()) == {"created"}


def test_populate_again_skips_everything_untouched(conn: Conn) -> None:
    shop = make_shop(conn)
    first = make_job(conn, shop, SyncMode.POPULATE)
    run(conn, shop_file(4, 2), job_id=first, shop_id=shop, mode=SyncMode.POPULATE)
    before = conn.execute("SELECT id, synced_at, raw::text FROM orders ORDER BY id").fetchall()
    items_before = conn.execute("SELECT id, synced_at, synced_job_id FROM line_items").fetchall()
    second = make_job(conn, shop, SyncMode.POPULATE)
    changed = jsonl([order(n, "2027-01-01T00:00:00Z", name="changed") for n in range(1, 5)])
    changed += jsonl([item(n * 100 + k, n, sku="changed") for n in range(1, 5) for k in range(2)])
    run(conn, changed, job_id=second, shop_id=shop, mode=SyncMode.POPULATE)
    assert conn.execute("SELECT id, synced_at, raw::text FROM orders ORDER BY id").fetchall() == (
        before
    )
    assert (
        conn.execute("SELECT id, synced_at, synced_job_id FROM line_items").fetchall()
        == items_before
    )
    stats = job_stats(conn, second)
    assert (stats["orders_skipped"], stats["line_items_skipped"]) == (4, 8)
    assert (stats["orders_created"], stats["line_items_written"]) == (0, 0)
    assert stats["line_items_deleted"] == 0
    assert set(decisions(conn, second).values()) == {"skipped"}


def test_populate_creates_only_new_orders(conn: Conn) -> None:
    shop = make_shop(conn)
    run(conn, shop_file(2, 1), job_id=make_job(conn, shop, SyncMode.POPULATE), shop_id=shop,
        mode=SyncMode.POPULATE)  # fmt: skip
    job = make_job(conn, shop, SyncMode.POPULATE)
    run(conn, shop_file(3, 1), job_id=job, shop_id=shop, mode=SyncMode.POPULATE)
    assert decisions(conn, job) == {
        "gid://shopify/Order/1": "skipped",
        "gid://shopify/Order/2": "skipped",
        "gid://shopify/Order/3": "created",
    }


@pytest.mark.parametrize("mode", [SyncMode.UPDATE, SyncMode.FULL])
def test_update_compares_updated_at(conn: Conn, mode: SyncMode) -> None:
    shop = make_shop(conn)
    base = [order(1, "2026-01-01T00:00:00Z"), order(2, "2026-01-01T00:00:00Z"),
            order(3, "2026-01-01T00:00:00Z"), item(11, 1), item(21, 2), item(31, 3)]  # fmt: skip
    run(conn, jsonl(base), job_id=make_job(conn, shop, mode), shop_id=shop, mode=mode)
    before = {r[0]: r[1:] for r in conn.execute("SELECT id, synced_at, raw::text FROM orders")}
    job = make_job(conn, shop, mode)
    incoming = [
        order(1, "2026-02-01T00:00:00Z", name="newer"),
        order(2, "2025-12-31T00:00:00Z", name="older"),
        order(3, "2026-01-01T00:00:00Z", name="equal"),
        order(4, "2026-01-01T00:00:00Z", name="new"),
        item(11, 1, sku="newer-sku"), item(21, 2, sku="older-sku"), item(31, 3, sku="eq"),
        item(41, 4),
    ]  # fmt: skip
    run(conn, jsonl(incoming), job_id=job, shop_id=shop, mode=mode)
    assert decisions(conn, job) == {
        "gid://shopify/Order/1": "updated",
        "gid://shopify/Order/2": "unchanged",
        "gid://shopify/Order/3": "unchanged",
        "gid://shopify/Order/4": "created",
    }
    after = {r[0]: r[1:] for r in conn.execute("SELECT id, synced_at, raw::text FROM orders")}
    assert after["gid://shopify/Order/2"] == before["gid://shopify/Order/2"]
    assert after["gid://shopify/Order/3"] == before["gid://shopify/Order/3"]
    names = dict(conn.execute("SELECT id, name FROM orders").fetchall())
    assert names["gid://shopify/Order/1"] == "newer"
    skus = dict(conn.execute("SELECT id, sku FROM line_items").fetchall())
    assert skus == {
        "gid://shopify/LineItem/11": "newer-sku",
        "gid://shopify/LineItem/21": "SKU-21",
        "gid://shopify/LineItem/31": "SKU-31",
        "gid://shopify/LineItem/41": "SKU-41",
    }
    stats = job_stats(conn, job)
    counts = (stats["orders_created"], stats["orders_updated"], stats["orders_unchanged"])
    assert counts == (1, 1, 2)
    assert (stats["line_items_written"], stats["line_items_skipped"]) == (2, 2)


def test_removed_line_items_are_deleted_on_update(conn: Conn) -> None:
    shop = make_shop(conn)
    run(conn, jsonl([order(1), item(11, 1), item(12, 1), order(2), item(21, 2), item(22, 2)]),
        job_id=make_job(conn, shop, SyncMode.FULL), shop_id=shop, mode=SyncMode.FULL)  # fmt: skip
    job = make_job(conn, shop, SyncMode.FULL)
    # Order 1 changed and lost item 12; order 2 unchanged (its items are left alone).
    run(conn, jsonl([order(1, "2026-03-01T00:00:00Z"), item(11, 1), order(2)]),
        job_id=job, shop_id=shop, mode=SyncMode.FULL)  # fmt: skip
    ids = sorted(r[0] for r in conn.execute("SELECT id FROM line_items"))
    assert ids == ["gid://shopify/LineItem/11", "gid://shopify/LineItem/21",
                   "gid://shopify/LineItem/22"]  # fmt: skip
    assert job_stats(conn, job)["line_items_deleted"] == 1


@pytest.mark.parametrize("batch_bytes", [1, 300, 1 << 20])
def test_layouts_give_identical_rows(database_url: str, batch_bytes: int) -> None:
    results = []
    for layout in ("grouped", "ungrouped", "children_first"):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("TRUNCATE shops CASCADE")
            shop = make_shop(conn)
            job = make_job(conn, shop, SyncMode.FULL)
            data = shop_file(6, 3, layout=layout)
            run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=batch_bytes,
                chunk_size=13)  # fmt: skip
            stats = job_stats(conn, job)
            assert conn.execute("SELECT count(*) FROM pending_line_items").fetchone() == (0,)
            assert dead_letters(conn, job) == []
            results.append(
                (
                    [row[1:] for row in table_rows(conn, "orders")],
                    [row[1:] for row in table_rows(conn, "line_items")],
                    {k: v for k, v in stats.items() if k != "bytes_read"},
                )
            )
    assert results[0] == results[1] == results[2]
    assert results[0][2]["orders_created"] == 6 and results[0][2]["line_items_written"] == 18


def test_parent_never_appears_is_dead_lettered_at_finish(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = jsonl([order(1), item(11, 1), item(99, 9), order(2)])
    result = run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL, finish=False)
    assert result.eof
    assert conn.execute("SELECT id, line_number FROM pending_line_items").fetchall() == [
        ("gid://shopify/LineItem/99", 3)
    ]
    ingestor = make_ingestor(conn, job, shop)
    ingestor.finish()
    ingestor.finish()  # idempotent
    letters = dead_letters(conn, job)
    offset = len(jsonl([order(1), item(11, 1)]))
    assert [(r[0], r[1], r[2]) for r in letters] == [
        (3, offset, "parent order gid://shopify/Order/9 not in the export")
    ]
    assert '"gid://shopify/LineItem/99"' in letters[0][3]
    assert assert_identity(conn, job)["failed_lines"] == 1
    assert conn.execute("SELECT count(*) FROM pending_line_items").fetchone() == (0,)
