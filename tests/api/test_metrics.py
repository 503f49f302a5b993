"""/metrics of the API: jobs by status, mode and trigger from the database, requests by route
template, subscriptions open; guarded by METRICS_TOKEN, absent in production without one."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.metrics import JobsCollector
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue, api_client, bearer
from tests.support.api_server import make_job, make_shop, set_job
from tests.support.text_metrics import value
from tests.support.token_keys import PRODUCTION

pytestmark = pytest.mark.anyio


async def test_jobs_are_counted_by_status_mode_and_trigger_across_tenants(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    first = make_job(conn, make_shop(conn, "a.myshopify.com", tenant="tenant-a"))
    make_job(conn, make_shop(conn, "b.myshopify.com", tenant="tenant-b"))
    make_job(conn, make_shop(conn, "c.myshopify.com", tenant="tenant-b"))
    set_job(conn, first, status="COMPLETED")

    text = (await client.get("/metrics")).text

    queued = {"status": "QUEUED", "mode": "FULL", "trigger": "MANUAL"}
    assert value(text, "shopsync_jobs", **queued) == 2
    assert value(text, "shopsync_jobs", **{**queued, "status": "COMPLETED"}) == 1
    assert value(text, "shopsync_api_subscriptions_open") == 0


async def test_requests_are_counted_by_route_template_never_by_raw_path(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/graphql", json={"query": "{ __typename }"})
    await client.get("/no/such/path/abc123")
    text = (await client.get("/metrics")).text

    assert value(text, "shopsync_api_requests_total", route="/graphql", method="POST", status="200")
    assert value(text, "shopsync_api_requests_total", route="unmatched", method="GET", status="404")
    assert "abc123" not in text
    assert value(text, "shopsync_api_request_seconds_count", route="/graphql") == 1


def test_the_job_query_runs_once_per_cache_period() -> None:
    calls: list[float] = []
    now = [100.0]

    def counts() -> list[tuple[str, str, str, int]]:
        calls.append(now[0])
        return [("QUEUED", "FULL", "MANUAL", len(calls))]

    collector = JobsCollector(counts, cache_s=5.0, clock=lambda: now[0])
    first = next(iter(collector.collect())).samples[0].value
    now[0] += 4.9
    again = next(iter(collector.collect())).samples[0].value
    now[0] += 0.2
    later = next(iter(collector.collect())).samples[0].value
    assert (first, again, later) == (1, 1, 2)
    assert len(calls) == 2


async def test_a_metrics_token_is_required_once_configured(database_url: str) -> None:
    settings = ApiSettings(database_url=database_url, metrics_token=SecretStr("scrape-secret"))
    app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())
    async with api_client(app, anonymous=True) as client:
        refused = await client.get("/metrics")
        wrong = await client.get("/metrics", headers=bearer("not-it"))
        allowed = await client.get("/metrics", headers=bearer("scrape-secret"))
    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert allowed.status_code == 200
    assert "shopsync_jobs" in allowed.text


async def test_production_has_no_metrics_route_without_a_token(database_url: str) -> None:
    def paths(**values: Any) -> list[str | None]:
        settings = ApiSettings(database_url=database_url, **PRODUCTION, **values)
        app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())
        return [getattr(route, "path", None) for route in app.routes]

    assert "/metrics" not in paths()
    assert "/metrics" in paths(metrics_token=SecretStr("scrape-secret"))
