"""WebSocket limits: subscriptions per connection, message size, document limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.server import server_options
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue
from tests.support.api_server import (
    JOB_EVENTS,
    ApiServer,
    DbConn,
    graphql_ws,
    make_job,
    make_shop,
    set_job,
    wait_for,
)
from tests.support.token_keys import PRODUCTION


@pytest.fixture
def capped(database_url: str, queue: RecordingQueue, verifier: FakeVerifier) -> Iterator[ApiServer]:
    settings = ApiSettings(
        database_url=database_url,
        **PRODUCTION,
        max_subscriptions_per_connection=2,
        graphql_max_body_bytes=4096,
        graphql_max_aliases=1,
    )
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    with ApiServer(app, **server_options(settings)) as server:
        yield server


def test_one_subscription_too_many_is_an_error_and_the_connection_stays(
    capped: ApiServer, conn: DbConn
) -> None:
    job_id = make_job(conn, make_shop(conn))
    with graphql_ws(capped) as client, graphql_ws(capped) as other:
        client.subscribe("1", JOB_EVENTS)
        client.subscribe("2", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 2, "two subscriptions")

        client.subscribe("3", JOB_EVENTS)
        refused = client.recv()
        assert refused["id"] == "3", refused
        [error] = refused["payload"]["errors"]
        # Readable even in production.
        assert error["message"] == "at most 2 subscriptions per connection; end one first"
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED"}
        assert client.recv() == {"id": "3", "type": "complete"}

        # The cap is per connection: another one subscribes freely.
        other.subscribe("a", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 3, "the other connection's subscription")

        # Ending one frees its slot on the same connection.
        client.send({"id": "1", "type": "complete"})
        wait_for(lambda: capped.hub.subscriber_count == 2, "the first subscription to end")
        client.subscribe("4", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 3, "the new subscription")
        set_job(conn, job_id, status="RUNNING")
        pushed = {client.recv()["id"], client.recv()["id"]}
        assert pushed == {"2", "4"}
        assert other.recv()["id"] == "a"


def test_a_message_over_the_body_limit_closes_the_connection(capped: ApiServer) -> None:
    with graphql_ws(capped) as client:
        client.subscribe("big", JOB_EVENTS + " " * 5000)
        with pytest.raises(ConnectionClosed) as closed:
            client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big

    with graphql_ws(capped) as client:
        client.subscribe("1", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 1, "a subscription on a new connection")


def test_document_limits_apply_to_subscriptions(capped: ApiServer) -> None:
    with graphql_ws(capped) as client:
        client.subscribe("a", "subscription { a: syncJobEvents { x: id y: id } }")
        message = client.recv()
        assert message["id"] == "a", message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["message"] == "3 aliases exceed the limit of 1", errors
        assert errors[0]["extensions"] == {"code": "LIMIT_EXCEEDED"}
