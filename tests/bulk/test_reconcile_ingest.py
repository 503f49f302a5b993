"""The RECONCILE ingest's guards (a bad line, a count that does not match, an unfinished file)
and what later syncs do with an order marked deleted, on hand-made result files."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk.deadletters import retry_dead_letters
from bulk.errors import InvalidArgument, LeaseLost, ReconcileRefused
from bulk.ingest import Checkpoint
from bulk.types import SyncMode
from tests.support.ingest import chunked, jsonl, make_ingestor, make_job, make_shop, order, run

CREATED = "2026-03-01T00:00:00Z"  # the operation's createdAt: after every order of the file


def _mirror(conn: psycopg.Connection[Any], shop_id: int, orders: int) -> None:
    """``orders`` orders with 2 line items each, mirrored by a FULL job."""
    docs: list[dict[str, Any]] = []
    for n in range(1, orders + 1):
        docs.append(order(n))
        docs += [
            {"id": f"gid://shopify/LineItem/{n}{k}", "__parentId": f"gid://shopify/Order/{n}"}
            for k in range(2)
        ]
    job_id = make_job(conn, shop_id, SyncMode.FULL)
    run(conn, jsonl(docs), job_id=job_id, shop_id=shop_id, mode=SyncMode.FULL)


def _reconcile_job(conn: psycopg.Connection[Any], shop_id: int, data: bytes, roots: int) -> int:
    job_id = make_job(conn, shop_id, SyncMode.RECONCILE)
    conn.execute(
        "UPDATE sync_jobs SET stale_after_mins = NULL, bulk_status = 'COMPLETED',"
        " bulk_created_at = %s, result_file_size = %s, root_object_count = %s WHERE id = %s",
        (CREATED, len(data), roots, job_id),
    )
    return job_id


def _ids(*numbers: int) -> bytes:
    return jsonl([{"id": f"gid://shopify/Order/{n}"} for n in numbers])


def _deleted(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("SELECT id FROM orders WHERE deleted_at IS NOT NULL ORDER BY id").fetchall()
    return [str(row[0]) for row in rows]


def _reconcile(conn: psycopg.Connection[Any], shop_id: int, job_id: int, data: bytes) -> None:
    ingestor = make_ingestor(conn, job_id, shop_id, SyncMode.RECONCILE, batch_bytes=64)
    result = ingestor.ingest(chunked(data, 5), start=Checkpoint(0, 0))
    assert result.eof
    ingestor.finish()


def test_a_whole_file_marks_the_missing_orders(conn: psycopg.Connection[Any]) -> None:
    shop_id = make_shop(conn)
    _mirror(conn, shop_id, 6)
    data = _ids(1, 2, 4, 6, 2)  # a repeated id counts once
    job_id = _reconcile_job(conn, shop_id, data, roots=4)
    _reconcile(conn, shop_id, job_id, data)
    assert _deleted(conn) == ["gid://shopify/Order/3", "gid://shopify/Order/5"]
    items = conn.execute(
        "SELECT count(*) FROM line_items WHERE deleted_at IS NOT NULL"
        " AND order_id IN ('gid://shopify/Order/3', 'gid://shopify/Order/5')"
    ).fetchone()
    assert items == (4,)
    stats = conn.execute(
        "SELECT orders_deleted, lines_read, lines_superseded, failed_lines FROM sync_jobs"
        " WHERE id = %s",
        (job_id,),
    ).fetchone()
    assert stats == (2, 5, 1, 0)


@pytest.mark.parametrize(
    ("data", "roots", "reason"),
    [
        (_ids(1, 2, 3) + b'{"id": nope}\n' + _ids(5), 5, "lines of the export could not be read"),
        (_ids(1, 2, 3, 4), 6, "staged 4 order ids, Shopify counted 6"),
    ],
    ids=["bad_line", "count_mismatch"],
)
def test_an_export_that_may_lack_ids_marks_nothing(
    conn: psycopg.Connection[Any], data: bytes, roots: int, reason: str
) -> None:
    shop_id = make_shop(conn)
    _mirror(conn, shop_id, 6)
    job_id = _reconcile_job(conn, shop_id, data, roots=roots)
    with pytest.raises(ReconcileRefused, match=reason):
        _reconcile(conn, shop_id, job_id, data)
    assert _deleted(conn) == []
    # A RECONCILE's dead letters are ids: a retry would insert empty orders, so it refuses.
    conn.execute("UPDATE sync_jobs SET status = 'FAILED' WHERE id = %s", (job_id,))
    with pytest.raises(InvalidArgument, match="is a RECONCILE"):
        retry_dead_letters(conn, job_id, finished_only=True)
    assert conn.execute("SELECT count(*) FROM orders").fetchone() == (6,)


def test_finish_before_the_end_of_the_file_marks_nothing(conn: psycopg.Connection[Any]) -> None:
    shop_id = make_shop(conn)
    _mirror(conn, shop_id, 6)
    data = _ids(1, 2, 3, 4)
    job_id = _reconcile_job(conn, shop_id, data + _ids(5), roots=4)  # the file is longer
    expected = f"read {len(data)} of the result file's {len(data + _ids(5))} bytes"
    with pytest.raises(ReconcileRefused, match=expected):
        _reconcile(conn, shop_id, job_id, data)
    assert _deleted(conn) == []


def test_a_cancelled_job_marks_nothing(conn: psycopg.Connection[Any]) -> None:
    shop_id = make_shop(conn)
    _mirror(conn, shop_id, 6)
    data = _ids(1, 2, 3)
    job_id = _reconcile_job(conn, shop_id, data, roots=3)
    ingestor = make_ingestor(conn, job_id, shop_id, SyncMode.RECONCILE)
    ingestor.ingest(chunked(data), start=Checkpoint(0, 0))
    conn.execute("UPDATE sync_jobs SET status = 'CANCELLED' WHERE id = %s", (job_id,))
    with pytest.raises(LeaseLost):
        ingestor.finish()
    assert _deleted(conn) == []
    assert conn.execute("SELECT count(*) FROM reconcile_ids").fetchone() == (0,)


def _mark_deleted(conn: psycopg.Connection[Any], n: int, at: str) -> None:
    conn.execute(
        "UPDATE orders SET deleted_at = %s WHERE id = %s", (at, f"gid://shopify/Order/{n}")
    )
    conn.execute(
        "UPDATE line_items SET deleted_at = %s WHERE order_id = %s",
        (at, f"gid://shopify/Order/{n}"),
    )


def _state(conn: psycopg.Connection[Any], n: int) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT o.deleted_at IS NOT NULL, o.updated_at,"
        " (SELECT count(*) FROM live_line_items AS li WHERE li.order_id = o.id)"
        " FROM orders AS o WHERE o.id = %s",
        (f"gid://shopify/Order/{n}",),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_deleted_order_comes_back_only_with_a_version_newer_than_its_deletion(
    conn: psycopg.Connection[Any],
) -> None:
    shop_id = make_shop(conn)
    _mirror(conn, shop_id, 3)
    _mark_deleted(conn, 1, "2029-01-01T00:00:00Z")  # before the newer version below
    _mark_deleted(conn, 2, "2031-01-01T00:00:00Z")  # after it: the line predates the deletion
    newer = "2030-01-01T00:00:00Z"
    docs: list[dict[str, Any]] = []
    for n in (1, 2):
        docs.append(order(n, updated=newer))
        docs.append(
            {"id": f"gid://shopify/LineItem/{n}0", "__parentId": f"gid://shopify/Order/{n}"}
        )

    populate = make_job(conn, shop_id, SyncMode.POPULATE)
    run(conn, jsonl(docs), job_id=populate, shop_id=shop_id, mode=SyncMode.POPULATE)
    assert _state(conn, 1)[0] and _state(conn, 2)[0]  # POPULATE never brings one back

    full = make_job(conn, shop_id, SyncMode.FULL)
    run(conn, jsonl(docs), job_id=full, shop_id=shop_id, mode=SyncMode.FULL)
    back, updated, items = _state(conn, 1)
    assert not back and updated.year == 2030 and items == 1  # its other line item is gone
    still, updated, items = _state(conn, 2)
    assert still and updated.year == 2026 and items == 0  # untouched
