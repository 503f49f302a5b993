"""The yardsticks our ingest is measured against: a raw COPY of the same bytes (the ceiling) and
one upsert statement per order (the naive pattern), plus the realistic export the tests use."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

ITEMS_PER_ORDER = 4  # on average

CEILING_TABLE = "CREATE UNLOGGED TABLE IF NOT EXISTS ceiling (doc jsonb)"
NAIVE_TABLE = (
    "CREATE TABLE IF NOT EXISTS naive_orders (id text PRIMARY KEY, updated_at timestamptz,"
    " doc jsonb NOT NULL)"
)
_NAIVE_UPSERT = (
    "INSERT INTO naive_orders (id, updated_at, doc) VALUES (%s, %s, %s)"
    " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc"
    " WHERE naive_orders.updated_at < excluded.updated_at"
)
# One result line is one CSV field: no character in JSON text is \x01 or \x02.
_COPY = "COPY ceiling (doc) FROM STDIN (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"


def read_file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def raw_copy_s(conn: psycopg.Connection[Any], path: Path) -> float:
    """Seconds to COPY every line of ``path`` into an unlogged one-column jsonb table."""
    conn.execute(CEILING_TABLE)
    conn.execute("TRUNCATE ceiling")
    started = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur, cur.copy(_COPY) as copy:
        for chunk in read_file_chunks(path):
            copy.write(chunk)
    return time.perf_counter() - started


def per_order_upsert_s(
    conn: psycopg.Connection[Any], path: Path, *, lines: int
) -> tuple[float, int]:
    """Seconds for the first ``lines`` lines as one autocommitted upsert per line (each order
    and line item its own statement and transaction); returns (seconds, lines done)."""
    conn.execute(NAIVE_TABLE)
    conn.execute("TRUNCATE naive_orders")
    done = 0
    started = time.perf_counter()
    with path.open("rb") as handle:
        for raw in handle:
            if done >= lines:
                break
            doc = json.loads(raw)
            conn.execute(_NAIVE_UPSERT, (doc["id"], doc.get("updatedAt"), raw.decode()))
            done += 1
    return time.perf_counter() - started, done


def write_export(path: Path, orders: int) -> int:
    """Write an ungrouped-ish realistic export (children trail their parents by a few orders);
    return its line count."""
    rng = random.Random(7)
    lines = 0
    with path.open("wb") as out:
        pending: list[bytes] = []
        for n in range(1, orders + 1):
            doc: dict[str, Any] = {
                "id": f"gid://shopify/Order/{5_000_000 + n}",
                "legacyResourceId": str(5_000_000 + n),
                "name": f"#{1000 + n}",
                "email": f"customer{rng.randrange(10**6)}@example.com",
                "createdAt": "2026-01-02T03:04:05Z",
                "updatedAt": f"2026-02-{1 + n % 28:02d}T10:{n % 60:02d}:00Z",
                "processedAt": "2026-01-02T03:04:06Z",
                "cancelledAt": None,
                "closed": n % 5 == 0,
                "test": False,
                "currencyCode": "EUR",
                "displayFinancialStatus": "PAID",
                "displayFulfillmentStatus": "FULFILLED",
                "totalPriceSet": {
                    "shopMoney": {"amount": f"{rng.random() * 500:.2f}", "currencyCode": "EUR"}
                },
                "customer": {"id": f"gid://shopify/Customer/{rng.randrange(10**5)}"},
                "tags": ["wholesale"] if n % 3 == 0 else [],
            }
            out.write(json.dumps(doc, separators=(",", ":")).encode() + b"\n")
            lines += 1
            for k in range(rng.randint(ITEMS_PER_ORDER - 2, ITEMS_PER_ORDER + 2)):
                child = {
                    "id": f"gid://shopify/LineItem/{90_000_000 + n * 10 + k}",
                    "sku": f"SKU-{rng.randrange(10**4)}",
                    "title": "Widget ünïcode",
                    "variantTitle": "Large / Blue",
                    "vendor": "Acme",
                    "quantity": rng.randint(1, 5),
                    "originalUnitPriceSet": {
                        "shopMoney": {"amount": "19.99", "currencyCode": "EUR"}
                    },
                    "__parentId": doc["id"],
                }
                pending.append(json.dumps(child, separators=(",", ":")).encode() + b"\n")
            if len(pending) > 20:
                out.writelines(pending)
                lines += len(pending)
                pending.clear()
        out.writelines(pending)
        lines += len(pending)
    return lines
