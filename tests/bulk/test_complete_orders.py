"""Complete orders (issue #10): every field the bulk query selects round-trips from the simulator
into its column and into ``raw``, for every order of a real job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from bulk.order_fields import LINE_ITEM_FIELDS, ORDER_FIELDS, stored
from bulk.types import JobStatus
from simulator.server import SimulatorServer
from tests.support.order_compare import mismatches, sim_orders
from tests.support.shopify_sim import job_of, new_job, run_job, sim_config, store_shop


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(request.param)) as srv:
        yield srv


def _sync(server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    run_job(database_url, job_id, settings={"batch_bytes": 256 * 1024})
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error


@pytest.mark.parametrize("server", [300], indirect=True)
def test_every_field_round_trips_into_its_column_and_raw(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    _sync(server, conn, database_url)
    shopify = sim_orders(server.base_url, 300)
    assert len(shopify) == 300
    assert mismatches(database_url, shopify) == []
    # Each column is tested with values, not nulls only: some order holds a value in each.
    for table, fields in (("orders", ORDER_FIELDS), ("line_items", LINE_ITEM_FIELDS)):
        for field in stored(fields):
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} IS NOT NULL").format(
                sql.Identifier(table), sql.Identifier(str(field.column))
            )
            row = conn.execute(query).fetchone()
            assert row is not None and row[0] > 0, field.column
    # ... and the lists and interfaces kept in raw are there, nested objects intact.
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE jsonb_array_length(raw -> 'refunds') > 0),"
        " count(*) FILTER (WHERE jsonb_array_length(raw -> 'fulfillments') > 1),"
        " count(*) FILTER (WHERE raw -> 'shippingAddress' ->> 'countryCodeV2' IS NOT NULL),"
        " count(*) FILTER (WHERE raw -> 'presentmentCurrencyCode' <> raw -> 'currencyCode'),"
        " count(*) FILTER (WHERE (raw ->> 'taxExempt')::boolean)"
        " FROM orders"
    ).fetchone()
    assert row is not None and all(count > 0 for count in row), row
    row = conn.execute(
        "SELECT count(*) FROM line_items WHERE raw -> 'discountAllocations' -> 0"
        " -> 'discountApplication' ->> '__typename' IS NOT NULL"
    ).fetchone()
    assert row is not None and row[0] > 0
    # The comparison sees a changed nested value and a changed column.
    some = next(iter(shopify))
    conn.execute(
        "UPDATE orders SET shipping_zip = 'x',"
        " raw = jsonb_set(raw, '{fulfillments}', '[]') WHERE id = %s",
        (some,),
    )
    found = mismatches(database_url, shopify)
    # Each line reads "<id> <what>: <mirror> != <shopify>".
    assert [line.split(" ", 2)[:2] for line in found] == [[some, "shipping_zip:"]] + (
        [[some, "raw.fulfillments:"]] if shopify[some]["fulfillments"] else []
    )


@pytest.mark.slow
@pytest.mark.parametrize("server", [2000], indirect=True)
def test_two_thousand_orders_match_field_for_field(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    _sync(server, conn, database_url)
    shopify = sim_orders(server.base_url, 2000)
    assert len(shopify) == 2000
    assert mismatches(database_url, shopify) == []
