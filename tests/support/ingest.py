"""Helpers shared by the ingest tests: a shop and job to ingest into, JSONL builders, row dumps."""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg

from bulk.ingest import Checkpoint, Ingestor, IngestResult
from bulk.types import SyncMode

OPERATION_ID = "gid://shopify/BulkOperation/1"
# The worker's default (EngineSettings.merge_connections): tests ingest as production does.
MERGE_CONNECTIONS = 2


def make_shop(conn: psycopg.Connection[Any], domain: str = "demo.myshopify.com") -> int:
    row = conn.execute(
        "INSERT INTO shops (domain, access_token, api_version, admin_url) "
        "VALUES (%s, 'token', '2026-10', 'http://127.0.0.1') RETURNING id",
        (domain,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def make_job(
    conn: psycopg.Connection[Any],
    shop_id: int,
    mode: SyncMode,
    *,
    operation_id: str | None = OPERATION_ID,
    lease_token: object = None,
) -> int:
    # One active job per shop: earlier jobs of the test are marked done first.
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED' WHERE shop_id = %s", (shop_id,))
    row = conn.execute(
        "INSERT INTO sync_jobs (shop_id, sync_mode, status, stale_after_mins, bulk_operation_id,"
        " lease_token) VALUES (%s, %s, 'RUNNING', 60, %s, %s) RETURNING id",
        (shop_id, mode.value, operation_id, lease_token),
    ).fetchone()
    assert row is not None
    return int(row[0])


def order(n: int, updated: str = "2026-01-01T00:00:00Z", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": f"gid://shopify/Order/{n}",
        "legacyResourceId": str(n),
        "name": f"#{1000 + n}",
        "email": f"buyer{n}@example.com",
        "createdAt": "2025-12-01T10:00:00Z",
        "updatedAt": updated,
        "processedAt": "2025-12-01T10:00:01Z",
        "cancelledAt": None,
        "cancelReason": None,
        "closed": False,
        "closedAt": None,
        "test": False,
        "currencyCode": "EUR",
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": "25.98", "currencyCode": "EUR"}},
        "subtotalPriceSet": {"shopMoney": {"amount": "20.0", "currencyCode": "EUR"}},
        "totalTaxSet": {"shopMoney": {"amount": "5.98", "currencyCode": "EUR"}},
        "totalDiscountsSet": {"shopMoney": {"amount": "0.0", "currencyCode": "EUR"}},
        "customer": {"id": f"gid://shopify/Customer/{n % 7}"},
        "tags": ["vip", f"t{n % 3}"],
    }
    doc.update(fields)
    return doc


def item(n: int, parent: int, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": f"gid://shopify/LineItem/{n}",
        "sku": f"SKU-{n}",
        "name": f"Widget {n} - Large",
        "title": f"Widget {n}",
        "variantTitle": "Large",
        "vendor": "Acme",
        "quantity": 2,
        "currentQuantity": 2,
        "originalUnitPriceSet": {"shopMoney": {"amount": "10.0", "currencyCode": "EUR"}},
        "discountedTotalSet": {"shopMoney": {"amount": "20.0", "currencyCode": "EUR"}},
        "__parentId": f"gid://shopify/Order/{parent}",
    }
    doc.update(fields)
    return doc


def jsonl(docs: Sequence[dict[str, Any] | bytes | str]) -> bytes:
    """One line per entry: dicts are dumped, bytes/str are taken as the line itself."""
    out = bytearray()
    for doc in docs:
        if isinstance(doc, bytes):
            out += doc
        elif isinstance(doc, str):
            out += doc.encode()
        else:
            out += json.dumps(doc, separators=(",", ":")).encode()
        out += b"\n"
    return bytes(out)


def shop_file(orders: int, items_per_order: int = 3, *, layout: str = "grouped") -> bytes:
    """A small export: ``grouped`` (children after their parent), ``ungrouped`` (all orders,
    then all items) or ``children_first`` (all items, then all orders)."""
    order_docs = [order(n) for n in range(1, orders + 1)]
    item_docs = [
        [item(n * 100 + k, n) for k in range(items_per_order)] for n in range(1, orders + 1)
    ]
    if layout == "grouped":
        docs: list[dict[str, Any]] = []
        for doc, children in zip(order_docs, item_docs, strict=True):
            docs.append(doc)
            docs.extend(children)
    elif layout == "ungrouped":
        docs = order_docs + [child for children in item_docs for child in children]
    elif layout == "children_first":
        docs = [child for children in item_docs for child in children] + order_docs
    else:
        raise ValueError(layout)
    return jsonl(docs)


def chunked(data: bytes, size: int = 7) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def read_file_chunks(path: Path, *, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of a local file, in chunks (as the download streams them)."""
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            yield chunk


def make_ingestor(
    conn: psycopg.Connection[Any],
    job_id: int,
    shop_id: int,
    mode: SyncMode = SyncMode.FULL,
    *,
    operation_id: str | None = OPERATION_ID,
    connections: int = MERGE_CONNECTIONS,
    **kwargs: Any,
) -> Ingestor:
    """An Ingestor for a test job, of the test's bulk operation unless told otherwise, merging
    with ``connections`` connections (as the worker does by default): the extra ones are opened
    here and closed when the ingestor is collected."""
    extra = [psycopg.connect(conn.info.dsn, autocommit=True) for _ in range(connections - 1)]
    ingestor = Ingestor(
        conn,
        job_id=job_id,
        shop_id=shop_id,
        mode=mode,
        operation_id=operation_id,
        merge_conns=extra,
        **kwargs,
    )
    for other in extra:
        weakref.finalize(ingestor, other.close)
    return ingestor


def run(
    conn: psycopg.Connection[Any],
    data: bytes,
    *,
    job_id: int,
    shop_id: int,
    mode: SyncMode,
    batch_bytes: int = 4 << 20,
    chunk_size: int = 1 << 16,
    finish: bool = True,
) -> IngestResult:
    ingestor = make_ingestor(conn, job_id, shop_id, mode, batch_bytes=batch_bytes)
    result = ingestor.ingest(chunked(data, chunk_size), start=Checkpoint(0, 0))
    if finish:
        ingestor.finish()
    assert_identity(conn, job_id)
    return result


IDENTITY_TERMS = (
    "orders_created",
    "orders_updated",
    "orders_unchanged",
    "orders_skipped",
    "line_items_written",
    "line_items_skipped",
    "failed_lines",
    "lines_superseded",
)


def assert_identity(conn: psycopg.Connection[Any], job_id: int) -> dict[str, int]:
    """The per-job identity of the stats (README, "Why the rows are exact"): every line read
    of the current result file is accounted for exactly once, and failed_lines is the number
    of open dead letters. Returns the stats."""
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    row = cur.execute(
        "SELECT j.*,"
        " (SELECT count(*) FROM pending_line_items AS p WHERE p.job_id = j.id) AS parked,"
        " (SELECT count(*) FROM dead_letters AS d"
        "   WHERE d.job_id = j.id AND d.resolved_at IS NULL) AS open_letters"
        " FROM sync_jobs AS j WHERE j.id = %s",
        (job_id,),
    ).fetchone()
    assert row is not None
    accounted = sum(int(row[term]) for term in IDENTITY_TERMS) + int(row["parked"])
    assert row["lines_read"] == accounted, {k: row[k] for k in (*IDENTITY_TERMS, "parked")}
    assert (row["lines_read"], row["bytes_read"]) == (
        row["checkpoint_line"],
        row["checkpoint_byte"],
    ), "lines_read/bytes_read count the current result file, up to its checkpoint"
    assert row["failed_lines"] == row["open_letters"]
    return {k: int(v) for k, v in row.items() if isinstance(v, int)}


def job_stats(conn: psycopg.Connection[Any], job_id: int) -> dict[str, int]:
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    row = cur.execute(
        "SELECT lines_read, bytes_read, orders_created, orders_updated, orders_unchanged,"
        " orders_skipped, line_items_written, line_items_skipped, line_items_deleted,"
        " failed_lines, lines_superseded, checkpoint_line, checkpoint_byte"
        " FROM sync_jobs WHERE id = %s",
        (job_id,),
    ).fetchone()
    assert row is not None
    return dict(row)


def table_rows(conn: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    """Every row of orders or line_items, minus sync timestamps, in key order."""
    columns = {
        "orders": "shop_id, id, legacy_resource_id, name, email, created_at, updated_at,"
        " processed_at, cancelled_at, cancel_reason, closed, closed_at, test, currency_code,"
        " display_financial_status, display_fulfillment_status, total_price, subtotal_price,"
        " total_tax, total_discounts, customer_id, tags, raw::text",
        "line_items": "shop_id, id, order_id, sku, name, title, variant_title, vendor, quantity,"
        " current_quantity, original_unit_price, discounted_total, currency_code, raw::text",
    }[table]
    query = f"SELECT {columns} FROM {table} ORDER BY shop_id, id"
    return list(conn.execute(query).fetchall())  # type: ignore[arg-type]


def decisions(conn: psycopg.Connection[Any], job_id: int) -> dict[str, str]:
    rows = conn.execute(
        "SELECT order_id, action FROM job_orders WHERE job_id = %s", (job_id,)
    ).fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


def dead_letters(conn: psycopg.Connection[Any], job_id: int) -> list[tuple[Any, ...]]:
    return list(
        conn.execute(
            "SELECT line_number, byte_offset, reason, line FROM dead_letters"
            " WHERE job_id = %s ORDER BY line_number",
            (job_id,),
        ).fetchall()
    )
