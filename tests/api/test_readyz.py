"""/readyz: ready only with a migrated database and a broker that answers; otherwise 503 naming
what is missing. /healthz stays the liveness probe."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from api.app import create_app
from api.readiness import ANSWER_REUSE_S, readyz_endpoint
from api.settings import ApiSettings
from bulk.errors import DatabaseNotReady
from schema.migrate import migrate
from tests.support.api import FakeVerifier, RecordingQueue, api_client
from tests.support.databases import missing_database_url, unmigrated_database

pytestmark = pytest.mark.anyio

# Nothing listens there: a refused connection, at once.
DEAD_BROKER = "redis://127.0.0.1:1/0"


async def test_ready_with_a_migrated_database_and_a_broker(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_a_broker_that_does_not_answer_is_named(database_url: str) -> None:
    settings = ApiSettings(database_url=database_url, broker_url=DEAD_BROKER)
    app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())
    async with api_client(app) as client:
        response = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200  # alive, not ready
    assert response.status_code == 503
    body = response.json()
    assert set(body["missing"]) == {"broker"}
    assert "redis broker does not answer" in body["missing"]["broker"]
    assert "127.0.0.1:1" not in body["missing"]["broker"]  # never the URL


async def test_an_unmigrated_database_refuses_the_start_and_is_named_by_readyz(
    database_url: str,
) -> None:
    with unmigrated_database() as empty_url:
        settings = ApiSettings(database_url=empty_url)
        app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())
        with pytest.raises(DatabaseNotReady, match="run `shopsync migrate`"):
            async with app.router.lifespan_context(app):
                pass
        # The readiness check itself, as a running API whose database lost its schema sees it:
        # the app's routes work without the lifespan.
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as raw:
            response = await raw.get("/readyz")
    assert response.status_code == 503
    missing = response.json()["missing"]
    assert set(missing) == {"database"}
    assert "lacks" in missing["database"]
    assert "run `shopsync migrate`" in missing["database"]


async def test_a_missing_database_refuses_the_start() -> None:
    settings = ApiSettings(database_url=missing_database_url())
    app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())
    with pytest.raises(DatabaseNotReady, match="does not exist: run `shopsync migrate`"):
        async with app.router.lifespan_context(app):
            pass


async def test_an_answer_is_reused_briefly_so_a_flood_costs_one_check(redis_url: str) -> None:
    now = [0.0]
    with unmigrated_database() as empty_url:
        endpoint = readyz_endpoint(
            database_url=empty_url, broker_url=redis_url, clock=lambda: now[0]
        )
        app = Starlette(routes=[Route("/readyz", endpoint)])
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as raw:
            assert (await raw.get("/readyz")).status_code == 503
            with psycopg.connect(empty_url) as conn:
                migrate(conn)
            now[0] += ANSWER_REUSE_S / 2
            assert (await raw.get("/readyz")).status_code == 503  # the same answer, reused
            now[0] += ANSWER_REUSE_S
            assert (await raw.get("/readyz")).status_code == 200  # checked again
