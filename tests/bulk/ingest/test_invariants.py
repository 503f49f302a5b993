"""Ingest invariants: no line item without its order, repeated ids across batches, text that
ijson accepts but Postgres does not."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.ingest import Checkpoint
from bulk.types import SyncMode
from tests.support.ingest import (
    assert_identity,
    chunked,
    dead_letters,
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


def _orphan_line_items(conn: Conn) -> list[tuple[Any, ...]]:
    return list(
        conn.execute(
            "SELECT li.shop_id, li.id, li.order_id FROM line_items AS li"
            " WHERE NOT EXISTS (SELECT 1 FROM orders AS o"
            " WHERE o.shop_id = li.shop_id AND o.id = li.order_id)"
        ).fetchall()
    )


@pytest.mark.parametrize("layout", ["grouped", "ungrouped", "children_first"])
@pytest.mark.parametrize("mode", [SyncMode.POPULATE, SyncMode.UPDATE, SyncMode.FULL])
def test_no_line_item_without_its_order_after_any_ingest(
    conn: Conn, layout: str, mode: SyncMode
) -> None:
    shop = make_shop(conn)
    data = shop_file(7, 3, layout=layout) + jsonl([item(999, 77), item(998, 78)])
    job = make_job(conn, shop, mode)
    # Resumed in slices by fresh ingestors (as after kills), small batches.
    checkpoint = Checkpoint(0, 0)
    while True:
        ingestor = make_ingestor(conn, job, shop, mode, batch_bytes=300)
        result = ingestor.ingest(chunked(data[checkpoint.byte :], 17), start=checkpoint,
                                 deadline=0.0)  # fmt: skip
        checkpoint = result.checkpoint
        assert _orphan_line_items(conn) == []
        assert_identity(conn, job)
        if result.eof:
            break
    ingestor.finish()
    assert _orphan_line_items(conn) == []
    assert_identity(conn, job)
    assert len(table_rows(conn, "line_items")) == 21
    # A second job over changed data, children first.
    second = make_job(conn, shop, mode)
    changed = jsonl([item(n * 100, n, sku="new") for n in range(1, 9)])
    changed += jsonl([order(n, "2027-01-01T00:00:00Z") for n in range(1, 9)])
    run(conn, changed, job_id=second, shop_id=shop, mode=mode, batch_bytes=200)
    assert _orphan_line_items(conn) == []
    assert [r[0] for r in dead_letters(conn, second)] == []


def test_parked_line_item_repeated_with_its_parent_is_not_an_orphan(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    data = jsonl([item(11, 1, sku="old"), order(2)])
    data += jsonl([item(11, 1, sku="new"), order(1)])
    cut = len(jsonl([item(11, 1, sku="old"), order(2)]))
    run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL, batch_bytes=cut)
    assert dead_letters(conn, job) == []
    assert conn.execute("SELECT sku FROM line_items").fetchall() == [("new",)]
    stats = job_stats(conn, job)
    assert (stats["line_items_written"], stats["line_items_skipped"]) == (1, 0)
    assert conn.execute("SELECT count(*) FROM pending_line_items").fetchone() == (0,)


def test_text_postgres_refuses_is_dead_lettered_and_the_rest_commits(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    nul = b'{"id":"gid://shopify/Order/2","name":"a\\u0000b","updatedAt":"2026-01-01T00:00:00Z"}'
    data = jsonl([order(1), nul, item(11, 1), item(21, 2)])
    result = run(conn, data, job_id=job, shop_id=shop, mode=SyncMode.FULL)
    letters = dead_letters(conn, job)
    offsets = [len(jsonl([order(1)])), len(jsonl([order(1), nul, item(11, 1)]))]
    assert [(r[0], r[1]) for r in letters] == [(2, offsets[0]), (4, offsets[1])]
    assert letters[0][2].startswith("invalid JSON for Postgres")
    assert letters[0][3] == nul.decode()
    assert letters[1][2] == "parent order gid://shopify/Order/2 not in the export"
    assert [r[1] for r in table_rows(conn, "line_items")] == ["gid://shopify/LineItem/11"]
    assert result.stats.failed_lines == 1 and job_stats(conn, job)["failed_lines"] == 2


def test_line_items_go_with_their_orders_and_shops(conn: Conn) -> None:
    shop = make_shop(conn)
    other = make_shop(conn, "other.myshopify.com")
    for owner in (shop, other):
        run(conn, shop_file(3, 2), job_id=make_job(conn, owner, SyncMode.FULL), shop_id=owner,
            mode=SyncMode.FULL)  # fmt: skip
    conn.execute("DELETE FROM orders WHERE shop_id = %s AND id = 'gid://shopify/Order/1'", (shop,))
    assert conn.execute(
        "SELECT count(*) FROM line_items WHERE shop_id = %s", (shop,)
    ).fetchone() == (4,)
    conn.execute("DELETE FROM shops WHERE id = %s", (shop,))
    assert conn.execute("SELECT shop_id, count(*) FROM line_items GROUP BY shop_id").fetchall() == [
        (other, 6)
    ]
    conn.execute("TRUNCATE shops CASCADE")
    assert conn.execute("SELECT count(*) FROM line_items").fetchone() == (0,)


def test_an_existing_line_item_of_a_new_order_is_upserted(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    # A stray row (its order absent): the plain INSERT for a new order's items meets it.
    conn.execute(
        "INSERT INTO line_items (shop_id, id, order_id, sku, raw)"
        " VALUES (%s, 'gid://shopify/LineItem/11', 'gid://shopify/Order/1', 'stale', '{}')",
        (shop,),
    )
    run(conn, jsonl([order(1), item(11, 1), item(12, 1)]), job_id=job, shop_id=shop,
        mode=SyncMode.FULL)  # fmt: skip
    skus = dict(conn.execute("SELECT id, sku FROM line_items").fetchall())
    assert skus == {"gid://shopify/LineItem/11": "SKU-11", "gid://shopify/LineItem/12": "SKU-12"}
    assert job_stats(conn, job)["line_items_written"] == 2
