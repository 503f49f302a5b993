"""The CLI's WebSocket client and the demo's live progress, against the real API server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from api.app import create_app
from api.settings import ApiSettings
from cli.demo import watch_job
from cli.graphql_client import GraphQLClient
from cli.graphql_ws import SubscriptionError, subscribe, websocket_url
from cli.processes import ProcessGroup
from tests.support.api import FakeVerifier, RecordingQueue
from tests.support.api_server import (
    JOB_UPDATED,
    ApiServer,
    DbConn,
    make_job,
    make_shop,
    set_job,
)


@pytest.fixture
def server(database_url: str) -> Iterator[ApiServer]:
    settings = ApiSettings(database_url=database_url, environment="development")
    app = create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier(), pool_max_size=2)
    with ApiServer(app) as running:
        yield running


def test_websocket_url() -> None:
    assert websocket_url("http://127.0.0.1:8000/graphql") == "ws://127.0.0.1:8000/graphql"
    assert websocket_url("https://api.example.com/graphql") == "wss://api.example.com/graphql"


def test_subscribe_yields_states_and_idles(server: ApiServer, conn: DbConn) -> None:
    job_id = make_job(conn, make_shop(conn))
    updates = subscribe(
        server.ws_url, JOB_UPDATED, {"id": str(job_id)}, idle_s=0.2, token=server.token
    )
    with contextlib.closing(updates):
        first = next(updates)
        assert first is not None and first["syncJobUpdated"]["status"] == "QUEUED"
        assert next(updates) is None  # nothing happened for idle_s
        set_job(conn, job_id, status="COMPLETED", finished_at=datetime.now(UTC))
        states = [data["syncJobUpdated"]["status"] for data in updates if data is not None]
    assert states == ["COMPLETED"]  # and the iterator ended with the subscription


def test_subscribe_raises_on_graphql_errors(server: ApiServer) -> None:
    with pytest.raises(SubscriptionError, match="no sync job with id '404404'"):
        list(subscribe(server.ws_url, JOB_UPDATED, {"id": "404404"}, token=server.token))


def test_watch_job_follows_the_subscription(
    server: ApiServer, conn: DbConn, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = make_job(conn, make_shop(conn))
    set_job(conn, job_id, status="COMPLETED", lines_read=3, checkpoint_byte=30)
    with GraphQLClient(f"http://127.0.0.1:{server.port}/graphql", token=server.token) as api:
        job = watch_job(api, str(job_id), ProcessGroup(), timeout_s=10)
    assert (job["status"], job["stats"]["linesRead"]) == ("COMPLETED", 3)
    output = capsys.readouterr().out
    assert "COMPLETED" in output and "polling" not in output
