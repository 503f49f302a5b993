"""The app as a whole: health check, environments, error masking, secrets kept out of output."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import ConnectionPool
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import (
    CONNECT,
    REJECTED_TOKEN,
    UNREACHABLE_TOKEN,
    FakeVerifier,
    RecordingQueue,
    api_client,
    graphql,
)
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio

UNREACHABLE_DB = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=1"


@asynccontextmanager
async def _serve(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as c:
        yield c


async def test_healthz_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_database_down_gives_503_in_production() -> None:
    settings = ApiSettings(database_url=UNREACHABLE_DB, **PRODUCTION)
    pool: ConnectionPool[Any] = ConnectionPool(UNREACHABLE_DB, open=False, timeout=1.0)
    app = create_app(settings, pool=pool, queue=RecordingQueue(), verifier=FakeVerifier())

    async with api_client(app, "sst_" + "x" * 43) as client:
        health = await client.get("/healthz")
        # No token can be checked without the database: nobody gets in, nothing leaks.
        body = await client.post("/graphql", json={"query": "{ syncJobs { id } }"})
        ide = await client.get("/graphql", headers={"Accept": "text/html"})

    assert pool.closed  # the lifespan opened it, so the lifespan closed it
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert body.status_code == 503
    assert "nowhere" not in body.text
    assert ide.status_code != 200 or "graphiql" not in ide.text.lower()


async def test_masked_errors_in_production(database_url: str) -> None:
    settings = ApiSettings(database_url=database_url, **PRODUCTION)
    app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier(), pool_max_size=2)
    async with api_client(app) as client:
        # An unexpected failure: the table is gone.
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE sync_jobs RENAME TO sync_jobs_elsewhere")
        body = await graphql(client, "{ syncJobs { id } }")
        user_error = await graphql(client, "{ syncJobs(first: 0) { id } }")

    assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
    assert "sync_jobs" not in str(body)
    # Our own input errors stay readable in production.
    assert user_error["errors"][0]["message"] == "first must be between 1 and 500"


async def test_an_open_pool_passed_in_stays_the_callers(settings: ApiSettings) -> None:
    with ConnectionPool(settings.database_url, min_size=1, max_size=2) as pool:
        app = create_app(settings, pool=pool, queue=RecordingQueue(), verifier=None)
        async with _serve(app) as client:
            assert (await client.get("/healthz")).status_code == 200
        assert not pool.closed


async def test_access_tokens_never_reach_responses_or_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good, newer = "shpat_secret_good_a1b2c3", "shpat_secret_newer_d4e5f6"
    tokens = [good, newer, REJECTED_TOKEN, UNREACHABLE_TOKEN, "shpat with space"]
    texts: list[str] = []

    async def post(query: str, **variables: Any) -> None:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        texts.append(response.text)

    for token in tokens:
        await post(CONNECT, input={"domain": "demo.myshopify.com", "accessToken": token})
    await post(CONNECT, input={"domain": "demo.myshopify.com", "accessToken": newer})
    await post(CONNECT, input={"domain": "bad domain", "accessToken": good})
    await post("{ shops { id domain apiVersion adminUrl createdAt } }")
    await post("{ syncJobs { id error } }")
    await post('{ __type(name: "Shop") { fields { name } } }')

    logged = [
        f"{record.getMessage()} {record.__dict__} {record.exc_text}" for record in caplog.records
    ]
    for token in tokens:
        for text in texts + logged:
            assert token not in text
    # The run did exercise the failure paths.
    assert any("ShopConnectionFailed" in text for text in texts)
    assert any("ValidationError" in text for text in texts)
