"""Production mode closes what development leaves open: introspection, Host, CORS, secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from bulk.errors import ConfigurationError
from tests.support.api import FakeVerifier, RecordingQueue, bearer, token_for
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio

INTROSPECTION = "{ __schema { queryType { name } } }"


def _app(database_url: str, **values: Any) -> Starlette:
    settings = ApiSettings(database_url=database_url, **values)
    return create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())


@asynccontextmanager
async def _client(app: Starlette, host: str = "api.test") -> AsyncIterator[httpx.AsyncClient]:
    """A client sending an admin token of tenant-a: what is refused here is not for want of one."""
    token = token_for(app.state.settings.database_url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url=f"http://{host}", headers=bearer(token)
        ) as c,
    ):
        yield c


async def _introspect(app: Starlette) -> dict[str, Any]:
    async with _client(app) as client:
        response = await client.post("/graphql", json={"query": INTROSPECTION})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_introspection_is_refused_in_production(database_url: str) -> None:
    app = _app(database_url, **PRODUCTION)
    async with _client(app) as client:
        response = await client.post("/graphql", json={"query": INTROSPECTION})
        ordinary = (await client.post("/graphql", json={"query": "{ shops { id } }"})).json()
    # An authenticated request, refused by GraphQL validation (not by the auth gate); the
    # validation error is masked like every other in production.
    assert response.status_code == 200, response.text
    refused = response.json()
    assert refused.get("data") is None and refused["errors"]
    assert ordinary == {"data": {"shops": []}}


async def test_introspection_is_allowed_in_development(database_url: str) -> None:
    body = await _introspect(_app(database_url, environment="development"))
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_may_enable_introspection(database_url: str) -> None:
    body = await _introspect(_app(database_url, **PRODUCTION, graphql_introspection=True))
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_an_unlisted_host_is_refused(database_url: str) -> None:
    app = _app(database_url, **PRODUCTION)
    async with _client(app) as client:
        refused = await client.get("/healthz", headers={"Host": "evil.example"})
        allowed = await client.get("/healthz")
    assert refused.status_code == 400
    assert allowed.status_code == 200


async def test_production_refuses_to_start_without_allowed_hosts(database_url: str) -> None:
    values = PRODUCTION | {"allowed_hosts": " , "}
    with pytest.raises(ConfigurationError, match="ALLOWED_HOSTS"):
        _app(database_url, **values)


async def _preflight(client: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


async def _cors_post(client: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": "{ shops { id } }"}, headers={"Origin": origin}
    )


async def test_cors_is_closed_by_default(database_url: str) -> None:
    for values in (PRODUCTION, {"environment": "development"}):
        async with _client(_app(database_url, **values)) as client:
            preflight = await _preflight(client, "https://admin.example")
            post = await _cors_post(client, "https://admin.example")
        assert "access-control-allow-origin" not in preflight.headers
        assert "access-control-allow-origin" not in post.headers


async def test_cors_opens_for_a_configured_origin_only(database_url: str) -> None:
    app = _app(database_url, **PRODUCTION, cors_origins="https://admin.example")
    async with _client(app) as client:
        allowed = await _preflight(client, "https://admin.example")
        post = await _cors_post(client, "https://admin.example")
        other = await _preflight(client, "https://evil.example")

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://admin.example"
    assert post.headers["access-control-allow-origin"] == "https://admin.example"
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("secret", ["", "   "])
async def test_an_empty_webhook_secret_is_a_startup_error(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET is set but empty"):
        ApiSettings(webhook_secret=SecretStr(secret))
    # As the entry points read it: from the environment.
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET is set but empty"):
        ApiSettings()
