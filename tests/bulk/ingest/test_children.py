"""Nodes of connections added to the order (metafields ...) land in order_children under the line
items' rules: versions, parking, end-of-file deletion, resume, dead letters and their retry."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.deadletters import RetryResult, list_dead_letters, retry_dead_letters
from bulk.deleted_orders import delete_by_legacy_id
from bulk.ingest import Checkpoint
from bulk.types import SyncMode
from tests.support.ingest import (
    assert_identity,
    chunked,
    dead_letters,
    item,
    jsonl,
    make_ingestor,
    make_job,
    make_shop,
    order,
    run,
)

Conn = psycopg.Connection[Any]

T_A = "2026-02-01T00:00:00Z"
T_B = "2026-03-01T00:00:00Z"


def metafield(n: int, parent: int, value: str = "v", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": f"gid://shopify/Metafield/{n}",
        "namespace": "custom",
        "key": f"k{n}",
        "value": value,
        "type": "single_line_text_field",
        "__parentId": f"gid://shopify/Order/{parent}",
    }
    doc.update(fields)
    return doc


def _version(name: str, updated: str, items: dict[int, str], fields: dict[int, str]) -> list[Any]:
    return (
        [order(1, updated, name=name)]
        + [item(n, 1, sku=sku) for n, sku in items.items()]
        + [metafield(n, 1, value) for n, value in fields.items()]
    )


A = _version("A", T_A, {11: "A11"}, {31: "A31", 32: "A32"})
B = _version("B", T_B, {11: "B11"}, {32: "B32", 33: "B33"})
OTHER = [order(2), metafield(41, 2), item(21, 2)]


def _children(conn: Conn) -> dict[str, tuple[str, str, Any]]:
    rows = conn.execute(
        "SELECT id, order_id, connection, raw FROM order_children ORDER BY id"
    ).fetchall()
    return {str(r[0]).rsplit("/", 1)[1]: (str(r[1]), str(r[2]), r[3]) for r in rows}


def _values(conn: Conn, order_id: int = 1) -> dict[str, str]:
    return {
        key: raw["value"]
        for key, (parent, _kind, raw) in _children(conn).items()
        if parent == f"gid://shopify/Order/{order_id}"
    }


LAYOUTS = {
    "older_first": A + OTHER + B,
    "newer_first": B + OTHER + A,
    # A child before every line of its order belongs to the next one (here the newer).
    "child_first": [B[2], B[0], B[1], B[3], *OTHER, *A],
    "ungrouped": [A[0], OTHER[0], *A[1:], B[0], *OTHER[1:], *B[1:]],
}


@pytest.mark.parametrize("batch_bytes", [1, 500, 1 << 20])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("mode", [SyncMode.POPULATE, SyncMode.FULL])
def test_the_kept_version_s_children_are_stored_field_for_field(
    conn: Conn, mode: SyncMode, layout: str, batch_bytes: int
) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, mode)
    docs = LAYOUTS[layout]
    run(conn, jsonl(docs), job_id=job, shop_id=shop, mode=mode, batch_bytes=batch_bytes)
    assert _values(conn) == {"32": "B32", "33": "B33"}
    assert _values(conn, 2) == {"41": "v"}
    stored = _children(conn)
    for doc in docs:
        key = str(doc["id"]).rsplit("/", 1)[1]
        if "Metafield" in doc["id"] and doc.get("value", "").startswith(("B", "v")):
            assert stored[key] == (doc["__parentId"], "Metafield", doc)
    skus = conn.execute("SELECT sku FROM line_items WHERE order_id LIKE '%/1'").fetchall()
    assert skus == [("B11",)]
    stats = assert_identity(conn, job)
    # Children are counted with the line items (A's may be written, then replaced or deleted).
    assert stats["line_items_written"] + stats["line_items_skipped"] == 8
    assert stats["lines_superseded"] == 1 and stats["failed_lines"] == 0
    assert conn.execute("SELECT count(*) FROM pending_line_items").fetchone() == (0,)


def test_a_later_version_with_fewer_children_deletes_the_removed_ones(conn: Conn) -> None:
    shop = make_shop(conn)
    first = make_job(conn, shop, SyncMode.FULL)
    run(conn, jsonl(A + OTHER), job_id=first, shop_id=shop, mode=SyncMode.FULL)
    assert _values(conn) == {"31": "A31", "32": "A32"}
    second = make_job(conn, shop, SyncMode.UPDATE)
    fewer = [order(1, T_B), item(11, 1), metafield(32, 1, "B32")]
    run(conn, jsonl(fewer), job_id=second, shop_id=shop, mode=SyncMode.UPDATE)
    assert _values(conn) == {"32": "B32"}
    assert _values(conn, 2) == {"41": "v"}  # not in this export: left alone
    assert assert_identity(conn, second)["line_items_deleted"] == 1
    # An older version never comes back, children included.
    third = make_job(conn, shop, SyncMode.FULL)
    run(conn, jsonl(A), job_id=third, shop_id=shop, mode=SyncMode.FULL)
    assert _values(conn) == {"32": "B32"}


def test_resumed_in_slices_nothing_is_written_twice(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    docs: list[Any] = []
    for n in range(1, 8):
        docs += [metafield(n * 10, n), order(n), item(n * 10, n), metafield(n * 10 + 1, n)]
    data = jsonl(docs)
    checkpoint = Checkpoint(0, 0)
    while True:  # fresh ingestors, as after kills
        ingestor = make_ingestor(conn, job, shop, SyncMode.FULL, batch_bytes=300)
        result = ingestor.ingest(
            chunked(data[checkpoint.byte :], 17), start=checkpoint, deadline=0.0
        )
        checkpoint = result.checkpoint
        assert_identity(conn, job)
        if result.eof:
            break
    ingestor.finish()
    stats = assert_identity(conn, job)
    assert len(_children(conn)) == 14
    assert stats["line_items_written"] == 21 and stats["line_items_skipped"] == 0
    assert conn.execute("SELECT count(*) FROM pending_line_items").fetchone() == (0,)


def test_children_without_a_stored_parent_order_are_dead_letters(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    no_parent = metafield(51, 1)
    del no_parent["__parentId"]
    docs = [
        metafield(50, 9),  # parked, its order never comes
        order(1),
        no_parent,
        metafield(52, 1, __parentId="gid://shopify/LineItem/11"),  # depth 2: not stored
        order(3, __parentId="gid://shopify/Customer/1"),
        metafield(53, 1),
    ]
    run(conn, jsonl(docs), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    assert list(_children(conn)) == ["53"]
    reasons = [str(row[2]) for row in dead_letters(conn, job)]
    assert reasons == [
        "parent order gid://shopify/Order/9 not in the export",
        "unknown gid type: gid://shopify/Metafield/51",
        "unknown gid type: gid://shopify/Metafield/52",
        "an order nested in a connection is not stored: gid://shopify/Order/3",
    ]
    assert conn.execute("SELECT count(*) FROM orders").fetchone() == (1,)


def test_a_dead_lettered_child_is_stored_by_a_retry_and_holds_back_deletion(
    conn: Conn,
) -> None:
    shop = make_shop(conn)
    first = make_job(conn, shop, SyncMode.FULL)
    run(conn, jsonl(A), job_id=first, shop_id=shop, mode=SyncMode.FULL)
    job = make_job(conn, shop, SyncMode.FULL)
    bad = jsonl([metafield(33, 1, "B33\u0000")]).decode().rstrip("\n")
    run(conn, jsonl([B[0], B[1], B[2], bad]), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    (letter,) = list_dead_letters(conn, job)
    assert letter.reason.startswith("invalid JSON for Postgres")
    # The order has an open dead letter: its old children stay until the retry.
    assert _values(conn) == {"31": "A31", "32": "B32"}
    conn.execute(
        "UPDATE dead_letters SET line = replace(line, '\\u0000', '') WHERE id = %s", (letter.id,)
    )
    assert retry_dead_letters(conn, job) == RetryResult(retried=1, resolved=1, still_failing=0)
    assert _values(conn) == {"32": "B32", "33": "B33"}
    assert assert_identity(conn, job)["line_items_deleted"] == 1


def test_children_follow_their_order_when_it_is_deleted(conn: Conn) -> None:
    shop = make_shop(conn)
    job = make_job(conn, shop, SyncMode.FULL)
    run(conn, jsonl(A + OTHER), job_id=job, shop_id=shop, mode=SyncMode.FULL)
    deleted = delete_by_legacy_id(conn, domain="demo.myshopify.com", legacy_id=1)
    assert deleted is not None
    live = conn.execute("SELECT id FROM live_order_children ORDER BY id").fetchall()
    assert live == [("gid://shopify/Metafield/41",)]
    marked = conn.execute("SELECT count(*) FROM order_children WHERE deleted_at IS NOT NULL")
    assert marked.fetchone() == (2,)
    conn.execute("DELETE FROM orders WHERE id = 'gid://shopify/Order/2'")
    assert conn.execute("SELECT count(*) FROM order_children").fetchone() == (2,)
    conn.execute("TRUNCATE shops CASCADE")
    assert conn.execute("SELECT count(*) FROM order_children").fetchone() == (0,)
