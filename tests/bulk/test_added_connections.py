"""A connection added to the orders bulk query (metafields) end to end: every node of every order
lands in order_children field for field, in every layout of the result file; a second version of
an order with fewer nodes (updated during the export) leaves exactly its own."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from bulk import shops
from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.ingest import assert_identity
from tests.support.order_compare import sim_orders
from tests.support.shopify_sim import (
    add_fault,
    job_of,
    new_job,
    run_job,
    sim_config,
    store_shop,
)

Conn = psycopg.Connection[Any]

ORDERS = 60
SUBFIELDS = ("id", "namespace", "key", "value", "type")
METAFIELDS = f"metafields {{ edges {{ node {{ {' '.join(SUBFIELDS)} }} }} }}"


def _stored(conn: Conn) -> dict[str, tuple[str, str, dict[str, Any]]]:
    rows = conn.execute("SELECT id, order_id, connection, raw FROM live_order_children").fetchall()
    return {str(r[0]): (str(r[1]), str(r[2]), r[3]) for r in rows}


def _expected(orders: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        field["id"]: (
            order_id,
            "Metafield",
            {**{name: field[name] for name in SUBFIELDS}, "__parentId": order_id},
        )
        for order_id, order in orders.items()
        for field in order["metafields"]
    }


@pytest.mark.parametrize("layout", ["grouped", "ungrouped", "adversarial"])
def test_every_metafield_of_every_order_is_stored(
    conn: Conn, database_url: str, layout: str
) -> None:
    with SimulatorServer(sim_config(ORDERS, layout=layout)) as server:
        shop_id = store_shop(conn, server)
        job_id = new_job(conn, shop_id)
        run_job(
            database_url, job_id, settings={"extra_order_fields": METAFIELDS, "batch_bytes": 4096}
        )
        shopify = sim_orders(server.base_url, ORDERS)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    expected = _expected(shopify)
    assert len(expected) > ORDERS // 3  # 0 to 3 per order
    assert _stored(conn) == expected
    stats = assert_identity(conn, job_id)
    line_items = sum(len(order["lineItems"]) for order in shopify.values())
    assert stats["line_items_written"] == line_items + len(expected)
    assert stats["failed_lines"] == 0


@pytest.mark.parametrize("newer_first", [False, True])
def test_a_version_with_fewer_metafields_deletes_the_removed_ones(
    conn: Conn, database_url: str, newer_first: bool
) -> None:
    with SimulatorServer(sim_config(ORDERS)) as server:
        shop_id = store_shop(conn, server)
        shops.set_extra_order_fields(conn, shop_id, METAFIELDS)
        first = new_job(conn, shop_id)
        run_job(database_url, first)
        shopify = sim_orders(server.base_url, ORDERS)
        assert _stored(conn) == _expected(shopify)
        # An order with metafields, exported twice by the next job: as stored, and updated
        # during the export with its last metafield gone. (The export is by createdAt.)
        ids = sorted(shopify, key=lambda i: (shopify[i]["createdAt"], int(i.rsplit("/", 1)[1])))
        position = next(n for n, order_id in enumerate(ids, 1) if shopify[order_id]["metafields"])
        add_fault(
            server,
            "updated_during_export",
            params={"order": position, "newer_first": newer_first},
        )
        second = new_job(conn, shop_id)
        run_job(database_url, second)
    assert job_of(conn, second).status is JobStatus.COMPLETED
    twice = ids[position - 1]
    *kept, removed = shopify[twice]["metafields"]
    stored = _stored(conn)
    assert removed["id"] not in stored
    assert {key for key, row in stored.items() if row[0] == twice} == {f["id"] for f in kept}
    updated = conn.execute("SELECT raw->>'updatedAt' FROM orders WHERE id = %s", (twice,))
    assert updated.fetchone() != (shopify[twice]["updatedAt"],)  # the newer version won
    expected = _expected(shopify)
    del expected[removed["id"]]
    assert stored == expected
    assert assert_identity(conn, second)["line_items_deleted"] >= 1
