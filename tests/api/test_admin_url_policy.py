"""connectShop's adminUrl in production: the shop itself or an allow-listed https host only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import CONNECT, FakeVerifier, RecordingQueue, api_client, graphql
from tests.support.capture_server import CaptureServer
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio

DOMAIN = "demo.myshopify.com"
TOKEN = "shpat_good_1"


async def _client(settings: ApiSettings, verifier: FakeVerifier | None) -> AsyncIterator[Any]:
    app = create_app(settings, queue=RecordingQueue(), verifier=verifier, pool_max_size=2)
    async with api_client(app) as c:
        yield c


@pytest.fixture
async def production(database_url: str, verifier: FakeVerifier) -> AsyncIterator[Any]:
    settings = ApiSettings(
        database_url=database_url,
        **PRODUCTION,
        admin_url_hosts=["shop-proxy.example.com"],
    )
    async for c in _client(settings, verifier):
        yield c


async def _connect(client: httpx.AsyncClient, admin_url: str | None) -> dict[str, Any]:
    body = await graphql(
        client, CONNECT, input={"domain": DOMAIN, "accessToken": TOKEN, "adminUrl": admin_url}
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["connectShop"]
    return result


@pytest.mark.parametrize(
    "admin_url",
    [
        "http://127.0.0.1:8787",
        "http://localhost:8787",
        "https://[::1]:8443",
        "https://10.0.0.1",
        "http://169.254.169.254/latest/meta-data",
        "https://evil.example",
        "https://other.myshopify.com",
        "http://shop-proxy.example.com",  # allow-listed host, but not over https
        "http://demo.myshopify.com",
    ],
)
async def test_production_refuses_admin_urls_outside_the_allow_list(
    production: httpx.AsyncClient, verifier: FakeVerifier, admin_url: str
) -> None:
    result = await _connect(production, admin_url)
    assert result["__typename"] == "ValidationError", result
    assert result["field"] == "adminUrl"
    assert verifier.checked == []  # refused before anything was called


@pytest.mark.parametrize(
    ("admin_url", "stored"),
    [
        (None, "https://demo.myshopify.com"),
        ("https://demo.myshopify.com/", "https://demo.myshopify.com"),
        ("https://shop-proxy.example.com/base", "https://shop-proxy.example.com/base"),
    ],
)
async def test_production_accepts_the_shop_itself_and_allow_listed_hosts(
    production: httpx.AsyncClient, admin_url: str | None, stored: str
) -> None:
    result = await _connect(production, admin_url)
    assert result["__typename"] == "ShopConnected", result
    assert result["shop"]["adminUrl"] == stored


@pytest.mark.parametrize("admin_url", ["http://10.0.0.5:8787", "http://169.254.169.254"])
async def test_development_refuses_private_admin_urls_other_than_loopback(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    result = await _connect(client, admin_url)
    assert result["__typename"] == "ValidationError", result
    assert result["field"] == "adminUrl"


async def test_development_accepts_the_simulators_loopback_address(
    client: httpx.AsyncClient,
) -> None:
    result = await _connect(client, "http://127.0.0.1:8787")
    assert result["__typename"] == "ShopConnected", result


async def test_an_allow_listed_admin_host_resolving_to_loopback_is_never_called(
    database_url: str,
) -> None:
    settings = ApiSettings(
        database_url=database_url,
        **PRODUCTION,
        admin_url_hosts=["localhost"],
        verify_shops=True,
        http_timeout_s=5.0,
    )
    with CaptureServer() as capture:
        async for c in _client(settings, verifier=None):
            result = await _connect(c, capture.url("https", "localhost", ""))
        assert capture.connections == 0
    assert result["__typename"] == "ShopConnectionFailed", result
    # Says why, naming the host and the address it resolved to (never a URL).
    assert result["code"] == "DESTINATION_REFUSED", result
    assert "localhost" in result["message"] and "127.0.0.1" in result["message"], result
