"""cancelSyncJob through HTTP: the job ends CANCELLED and its Shopify operation is cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from api.settings import ApiSettings
from simulator.config import DEFAULT_ACCESS_TOKEN, DEFAULT_SHOP_DOMAIN, ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.api import CONNECT, JOB_FIELDS, graphql
from tests.support.shopify_sim import fast_settings, make_runner, open_pool, sim_operations

pytestmark = pytest.mark.anyio

CANCEL = f"""
mutation Cancel($id: ID!) {{
  cancelSyncJob(id: $id) {{
    __typename
    ... on SyncJobCancelled {{ job {{ {JOB_FIELDS} }} }}
    ... on SyncJobAlreadyFinished {{ job {{ {JOB_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    # Operations run long enough to be cancelled while RUNNING.
    config = SimulatorConfig(shops=[ShopConfig(orders=5)], run_seconds=30.0)
    with SimulatorServer(config) as server:
        yield server


async def _cancel(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    body = await graphql(client, CANCEL, id=job_id)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["cancelSyncJob"]
    return result


async def _connect_to(client: httpx.AsyncClient, simulator: SimulatorServer) -> dict[str, Any]:
    body = await graphql(
        client,
        CONNECT,
        input={
            "domain": DEFAULT_SHOP_DOMAIN,
            "accessToken": DEFAULT_ACCESS_TOKEN,
            "adminUrl": simulator.base_url,
            "apiVersion": "2026-04",
        },
    )
    result: dict[str, Any] = body["data"]["connectShop"]
    assert result["__typename"] == "ShopConnected", result
    return result


async def test_cancel_a_running_job_cancels_its_operation_and_is_idempotent(
    client: httpx.AsyncClient, simulator: SimulatorServer, settings: ApiSettings, database_url: str
) -> None:
    job_id = (await _connect_to(client, simulator))["initialJob"]["id"]
    with open_pool(database_url) as pool:
        step = make_runner(pool, fast_settings(database_url)).advance(int(job_id))
    assert not step.done
    (op,) = sim_operations(simulator)
    assert op["status"] in ("CREATED", "RUNNING")

    first = await _cancel(client, job_id)
    again = await _cancel(client, job_id)

    assert first["__typename"] == again["__typename"] == "SyncJobCancelled"
    assert first["job"]["id"] == job_id and first["job"]["status"] == "CANCELLED"
    assert first["job"]["finishedAt"] is not None
    assert again["job"] == first["job"]
    (op,) = sim_operations(simulator)
    assert op["status"] in ("CANCELING", "CANCELED")


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED"])
async def test_a_finished_job_cannot_be_cancelled(
    client: httpx.AsyncClient,
    conn: psycopg.Connection[Any],
    simulator: SimulatorServer,
    status: str,
) -> None:
    job_id = (await _connect_to(client, simulator))["initialJob"]["id"]
    conn.execute("UPDATE sync_jobs SET status = %s, finished_at = now()", (status,))

    result = await _cancel(client, job_id)

    assert result["__typename"] == "SyncJobAlreadyFinished"
    assert result["job"]["id"] == job_id and result["job"]["status"] == status
    row = conn.execute("SELECT status FROM sync_jobs WHERE id = %s", (int(job_id),)).fetchone()
    assert row == (status,)


@pytest.mark.parametrize("job_id", ["999999", "abc", "-1", ""])
async def test_unknown_or_unparsable_ids_are_validation_errors(
    client: httpx.AsyncClient, job_id: str
) -> None:
    result = await _cancel(client, job_id)

    assert result["__typename"] == "ValidationError"
    assert result["field"] == "id" and result["message"]


async def test_a_queued_job_is_cancelled_without_asking_shopify(
    client: httpx.AsyncClient, simulator: SimulatorServer
) -> None:
    job_id = (await _connect_to(client, simulator))["initialJob"]["id"]

    result = await _cancel(client, job_id)

    assert result["__typename"] == "SyncJobCancelled"
    assert result["job"]["status"] == "CANCELLED"
    assert sim_operations(simulator) == []
