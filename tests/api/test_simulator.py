"""connectShop verifying tokens against the Shopify simulator over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from simulator.config import ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.api import CONNECT, RecordingQueue, api_client, graphql

pytestmark = pytest.mark.anyio

DOMAIN = "sim-shop.myshopify.com"
TOKEN = "shpat_sim_token_for_api_tests_0001"


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(shops=[ShopConfig(domain=DOMAIN, access_token=TOKEN, orders=5)])
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
async def verifying_client(
    database_url: str, queue: RecordingQueue
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its real verifier (settings.verify_shops defaults to True)."""
    settings = ApiSettings(database_url=database_url, http_timeout_s=5.0)
    assert settings.verify_shops
    app: Starlette = create_app(settings, queue=queue)
    async with api_client(app) as c:
        yield c


async def _connect(client: httpx.AsyncClient, **input: str) -> dict[str, Any]:
    body = await graphql(client, CONNECT, input={"domain": DOMAIN} | input)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["connectShop"]
    return result


async def test_a_token_the_simulator_accepts_connects_the_shop(
    simulator: SimulatorServer, verifying_client: httpx.AsyncClient, queue: RecordingQueue
) -> None:
    result = await _connect(
        verifying_client, accessToken=TOKEN, adminUrl=simulator.base_url, apiVersion="2026-04"
    )

    assert result["__typename"] == "ShopConnected"
    assert result["shop"]["adminUrl"] == simulator.base_url
    assert queue.enqueued == [int(result["initialJob"]["id"])]


async def test_a_token_the_simulator_rejects_is_not_stored(
    simulator: SimulatorServer,
    verifying_client: httpx.AsyncClient,
    queue: RecordingQueue,
    conn: psycopg.Connection[Any],
) -> None:
    wrong = "shpat_wrong_token_for_api_tests_99"
    result = await _connect(verifying_client, accessToken=wrong, adminUrl=simulator.base_url)

    assert result["__typename"] == "ShopConnectionFailed"
    assert result["code"] == "AUTHENTICATION"
    assert wrong not in str(result)
    assert conn.execute("SELECT count(*) FROM shops").fetchone() == (0,)
    assert queue.enqueued == []


async def test_an_unreachable_admin_api_is_reported(verifying_client: httpx.AsyncClient) -> None:
    result = await _connect(verifying_client, accessToken=TOKEN, adminUrl="http://127.0.0.1:1")

    assert result["__typename"] == "ShopConnectionFailed"
    assert result["code"] == "UNREACHABLE"
    assert "http://127.0.0.1:1" in result["message"]
