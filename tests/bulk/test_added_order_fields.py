"""Fields a deployment (EXTRA_ORDER_FIELDS) and a shop (setOrderFields) add to the orders bulk
query land in each order's raw; fields that cannot be used FAIL the job with the reason, never a
query without them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from bulk import shops
from bulk.settings import EngineSettings
from bulk.types import JobStatus
from service.settings import CommonSettings
from simulator.server import SimulatorServer
from tests.support.order_compare import project, sim_orders
from tests.support.shopify_sim import (
    job_of,
    new_job,
    run_job,
    sim_config,
    sim_operations,
    store_shop,
)

ORDERS = 30
DEPLOYMENT = "poNumber fulfillments { service { serviceName } }"
SHOP_FIELDS = (
    "returnStatus transactions(first: 2) { kind gateway amountSet { shopMoney { amount } } }"
)


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(ORDERS)) as srv:
        yield srv


def test_added_fields_land_in_raw(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    shops.set_extra_order_fields(conn, shop_id, SHOP_FIELDS)
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id, settings={"extra_order_fields": DEPLOYMENT})
    job = job_of(conn, job_id)
    assert job.status is JobStatus.COMPLETED, job.error
    assert job.stats.failed_lines == 0
    shopify = sim_orders(server.base_url, ORDERS)
    added = {
        "poNumber": {},
        "returnStatus": {},
        "fulfillments": {"service": {"serviceName": {}}},
        "transactions(first: 2)": {
            "kind": {},
            "gateway": {},
            "amountSet": {"shopMoney": {"amount": {}}},
        },
    }
    rows = dict(conn.execute("SELECT id, raw FROM orders").fetchall())
    assert len(rows) == ORDERS
    for order_id, raw in rows.items():
        assert set(project(raw, added)) == {
            "poNumber",
            "returnStatus",
            "fulfillments",
            "transactions",
        }
        assert project(raw, added) == project(shopify[order_id], added)
        # Merged with our own selection of fulfilments, not instead of it.
        for fulfilment, ours in zip(
            raw["fulfillments"], shopify[order_id]["fulfillments"], strict=True
        ):
            assert fulfilment["trackingInfo"] == ours["trackingInfo"]
    assert any(raw["transactions"] for raw in rows.values())


def test_a_shop_s_unusable_fields_fail_the_job_before_any_submit(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    shop_id = store_shop(conn, server)
    # Stored some other way than setOrderFields (which refuses it): never a silent drop.
    conn.execute("UPDATE shops SET extra_order_fields = 'metafields { edges { node { key } } }'")
    job_id = new_job(conn, shop_id)
    run_job(database_url, job_id)
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error.startswith(
        "the orders query cannot be built: the added connections must select the id"
    ), job.error
    assert sim_operations(server) == []


def test_fields_shopify_refuses_at_submit_fail_the_job_with_its_message(
    server: SimulatorServer, conn: psycopg.Connection[Any], database_url: str
) -> None:
    job_id = new_job(conn, store_shop(conn, server))
    run_job(database_url, job_id, settings={"extra_order_fields": "noSuchField"})
    job = job_of(conn, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error is not None and "noSuchField" in job.error, job.error


@pytest.mark.parametrize(
    "fields",
    ["note {", "a: note", "metafields { edges { node { key } } }", "x" * 4001],
)
def test_the_deployment_setting_is_refused_at_start_up(fields: str) -> None:
    with pytest.raises(ValidationError, match="EXTRA_ORDER_FIELDS"):
        EngineSettings(extra_order_fields=fields)
    with pytest.raises(ValidationError, match="EXTRA_ORDER_FIELDS"):
        CommonSettings(extra_order_fields=fields)


def test_the_deployment_setting_is_normalised_and_handed_to_the_engine() -> None:
    settings = CommonSettings(extra_order_fields=f"  {DEPLOYMENT}\n")
    assert settings.engine().extra_order_fields == DEPLOYMENT
