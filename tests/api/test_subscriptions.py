"""Job subscriptions over a real WebSocket to a real uvicorn server, with NOTIFY from Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.job_events import JobEventHub, JobSubscriber, parse_event
from api.settings import ApiSettings
from bulk.errors import EventStreamEnded
from bulk.ingest import IngestStats
from bulk.jobs import SyncJob
from bulk.types import JobStatus, JobTrigger, JobType, SyncMode
from tests.support.api import FakeVerifier, RecordingQueue
from tests.support.api_server import (
    JOB_EVENTS,
    JOB_UPDATED,
    TOKEN,
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
def server(app: Starlette) -> Iterator[ApiServer]:
    with ApiServer(app) as running:
        yield running


@pytest.fixture
def job_id(conn: DbConn) -> int:
    """A QUEUED job of a new shop."""
    return make_job(conn, make_shop(conn))


def test_job_updated_pushes_each_state_then_completes(
    server: ApiServer, conn: DbConn, job_id: int
) -> None:
    with graphql_ws(server) as client:
        first = client.watch("1", job_id)
        assert (first["id"], first["status"], first["stats"]["linesRead"]) == (
            str(job_id),
            "QUEUED",
            0,
        )

        set_job(conn, job_id, status="RUNNING", started_at=datetime.now(UTC))
        assert client.next_job("1")["status"] == "RUNNING"
        set_job(conn, job_id, lines_read=10, bytes_read=1000, checkpoint_byte=1000)
        progress = client.next_job("1")
        assert (progress["status"], progress["stats"]["linesRead"]) == ("RUNNING", 10)
        assert progress["stats"]["bytesRead"] == 1000
        set_job(conn, job_id, status="COMPLETED", finished_at=datetime.now(UTC))
        done = client.next_job("1")
        assert (done["status"], done["finishedAt"] is not None) == ("COMPLETED", True)
        assert client.recv() == {"id": "1", "type": "complete"}

    wait_for(lambda: server.hub.subscriber_count == 0, "the subscriber to leave")
    assert TOKEN not in "".join(client.received)


def test_terminal_job_yields_once_and_completes(
    server: ApiServer, conn: DbConn, job_id: int
) -> None:
    set_job(conn, job_id, status="FAILED", error="boom", finished_at=datetime.now(UTC))
    with graphql_ws(server) as client:
        failed = client.watch("a", job_id)
        assert (failed["status"], failed["error"]) == ("FAILED", "boom")
        assert client.recv() == {"id": "a", "type": "complete"}


@pytest.mark.parametrize("bad_id", ["999999", "not-a-number"])
def test_unknown_job_id_is_a_graphql_error(server: ApiServer, bad_id: str) -> None:
    with graphql_ws(server) as client:
        client.subscribe("x", JOB_UPDATED, id=bad_id)
        message = client.recv()
        assert message["type"] == "next", message
        [error] = message["payload"]["errors"]
        assert error["message"] == f"no sync job with id {bad_id!r}"
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
        assert client.recv() == {"id": "x", "type": "complete"}
    wait_for(lambda: server.hub.subscriber_count == 0, "the subscriber to leave")


def test_job_events_of_one_shop_or_all(server: ApiServer, conn: DbConn) -> None:
    shop_a, shop_b = make_shop(conn, "a.myshopify.com"), make_shop(conn, "b.myshopify.com")
    job_a, job_b = make_job(conn, shop_a), make_job(conn, shop_b)
    with graphql_ws(server) as client:
        client.subscribe("a", JOB_EVENTS, shopId=str(shop_a))
        client.subscribe("all", JOB_EVENTS)
        wait_for(lambda: server.hub.subscriber_count == 2, "both subscriptions")

        set_job(conn, job_b, status="RUNNING")
        set_job(conn, job_a, status="RUNNING")
        # One loader reads changes in order: B's change would have reached "a" before A's.
        by_op: dict[str, list[str]] = {"a": [], "all": []}
        for message in (client.recv(), client.recv(), client.recv()):
            by_op[message["id"]].append(message["payload"]["data"]["syncJobEvents"]["id"])
        assert by_op == {"a": [str(job_a)], "all": [str(job_b), str(job_a)]}

        set_job(conn, job_a, status="CANCELLED", finished_at=datetime.now(UTC))
        events = {
            m["id"]: m["payload"]["data"]["syncJobEvents"] for m in (client.recv(), client.recv())
        }
        assert {op: job["status"] for op, job in events.items()} == {
            "a": "CANCELLED",
            "all": "CANCELLED",
        }
        # Events go on after a terminal state, until the client unsubscribes.
        client.send({"id": "a", "type": "complete"})
        client.send({"id": "all", "type": "complete"})
        wait_for(lambda: server.hub.subscriber_count == 0, "both subscriptions to end")
    assert TOKEN not in "".join(client.received)


def test_job_events_of_an_unknown_shop_is_a_graphql_error(server: ApiServer) -> None:
    with graphql_ws(server) as client:
        client.subscribe("s", JOB_EVENTS, shopId="424242")
        message = client.recv()
        [error] = message["payload"]["errors"]
        assert error["message"] == "no shop with id '424242'"
        assert error["extensions"]["field"] == "shopId"
        assert client.recv() == {"id": "s", "type": "complete"}


def test_slow_subscriber_gets_the_latest_state(
    server: ApiServer, conn: DbConn, job_id: int
) -> None:
    with graphql_ws(server) as client:
        assert client.watch("1", job_id)["status"] == "QUEUED"
        set_job(conn, job_id, status="RUNNING")
        for line in range(1, 51):
            set_job(conn, job_id, lines_read=line, checkpoint_byte=line * 100)
        set_job(conn, job_id, status="COMPLETED")
        seen: list[tuple[str, int]] = []
        while (message := client.recv())["type"] != "complete":
            job = message["payload"]["data"]["syncJobUpdated"]
            seen.append((job["status"], job["stats"]["linesRead"]))
    assert seen[-1] == ("COMPLETED", 50)
    assert seen == sorted(seen, key=lambda s: (s[0] == "COMPLETED", s[1]))  # never backwards
    assert len(seen) == len(set(seen))  # no state twice


def test_legacy_graphql_ws_protocol(server: ApiServer, conn: DbConn, job_id: int) -> None:
    with graphql_ws(server, protocol="graphql-ws") as client:
        client.send(
            {
                "id": "1",
                "type": "start",
                "payload": {"query": JOB_UPDATED, "variables": {"id": str(job_id)}},
            }
        )
        assert client.next_job("1")["status"] == "QUEUED"
        set_job(conn, job_id, status="CANCELLED")
        assert client.next_job("1")["status"] == "CANCELLED"
        assert client.recv() == {"id": "1", "type": "complete"}


def test_events_still_arrive_after_the_listener_is_killed(
    server: ApiServer, conn: DbConn, job_id: int
) -> None:
    with graphql_ws(server) as client:
        assert client.watch("1", job_id)["status"] == "QUEUED"
        old_pid = server.hub.backend_pid
        conn.execute("SELECT pg_terminate_backend(%s, 5000)", (old_pid,))
        wait_for(lambda: server.hub.backend_pid not in (None, old_pid), "a new LISTEN connection")

        set_job(conn, job_id, status="RUNNING")
        assert client.next_job("1")["status"] == "RUNNING"
    assert server.hub.connections == 2


def test_changes_made_while_disconnected_are_read_after_reconnecting(
    app: Starlette, conn: DbConn
) -> None:
    hub: JobEventHub = app.state.job_events
    hub.reconnect_initial_delay_s = 1.0  # long enough for the change to commit while down
    shop_id = make_shop(conn)
    job_id = make_job(conn, shop_id)
    with ApiServer(app) as server, graphql_ws(server) as client:
        client.subscribe("job", JOB_UPDATED, id=str(job_id))
        client.subscribe("shop", JOB_EVENTS, shopId=str(shop_id))
        assert client.next_job("job")["status"] == "QUEUED"
        wait_for(lambda: hub.subscriber_count == 2, "both subscriptions")

        old_pid = hub.backend_pid
        with conn.transaction():
            # The listener is gone before this change commits: its NOTIFY reaches nobody.
            conn.execute("SELECT pg_terminate_backend(%s, 5000)", (old_pid,))
            set_job(conn, job_id, status="RUNNING", lines_read=7, checkpoint_byte=70)

        pushed = {m["id"]: m["payload"]["data"] for m in (client.recv(), client.recv())}
        assert pushed["job"]["syncJobUpdated"]["stats"]["linesRead"] == 7
        assert pushed["shop"]["syncJobEvents"]["status"] == "RUNNING"
        assert hub.connections == 2


def test_reconnect_delays_are_jittered_and_capped_by_the_hubs_settings(app: Starlette) -> None:
    hub: JobEventHub = app.state.job_events
    hub.reconnect_initial_delay_s, hub.reconnect_max_delay_s = 0.5, 15.0
    policy = hub.reconnect_backoff
    first = [policy.delay_s(n) for n in range(1, 10)]
    second = [policy.delay_s(n) for n in range(1, 10)]
    assert first != second  # API processes that lost the database come back apart
    assert 0.5 <= first[0] <= 0.75 and first[:5] == sorted(first[:5])
    assert first[-1] == second[-1] == 15.0


def test_errors_stay_readable_in_production(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> None:
    settings = ApiSettings(database_url=database_url, **PRODUCTION)
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    with ApiServer(app) as server, graphql_ws(server) as client:
        client.subscribe("x", JOB_UPDATED, id="31337")
        [error] = client.recv()["payload"]["errors"]
        assert error["message"] == "no sync job with id '31337'"


def test_stopping_the_server_ends_open_subscriptions(app: Starlette, job_id: int) -> None:
    with ApiServer(app) as server, graphql_ws(server) as client:
        client.subscribe("1", JOB_EVENTS)
        assert client.watch("2", job_id)["status"] == "QUEUED"
        server.stop()
        with pytest.raises(ConnectionClosed):
            while True:
                client.recv()
        assert not server.running
    assert server.hub.subscriber_count == 0
    assert not server.hub.listening


# -- The mailbox and the payloads, without a server ----------------------------------------


def _record(job_id: int, lines: int, status: JobStatus = JobStatus.RUNNING) -> SyncJob:
    now = datetime.now(UTC)
    return SyncJob(
        id=job_id,
        shop_id=1,
        job_type=JobType.ORDERS,
        sync_mode=SyncMode.FULL,
        trigger=JobTrigger.MANUAL,
        status=status,
        days=None,
        stale_after_mins=None,
        filter_since=None,
        created_at=now,
        started_at=now,
        finished_at=None,
        updated_at=now,
        error=None,
        bulk_operation_id=None,
        bulk_status=None,
        bulk_attempts=0,
        poll_count=0,
        result_file_size=None,
        object_count=None,
        root_object_count=None,
        checkpoint_line=lines,
        checkpoint_byte=lines,
        stats=IngestStats(lines_read=lines),
    )


@pytest.mark.anyio
async def test_a_slow_subscriber_keeps_only_the_latest_state_per_job() -> None:
    subscriber = JobSubscriber(max_pending=2)
    for lines in range(1000):
        subscriber.offer(1, _record(1, lines))
        subscriber.offer(2, _record(2, lines * 2))
    assert subscriber.pending == 2  # two jobs, however many changes

    first_id, first = await subscriber.next()
    second_id, second = await subscriber.next()
    assert (first_id, first and first.stats.lines_read) == (1, 999)
    assert (second_id, second and second.stats.lines_read) == (2, 1998)

    subscriber.offer(3, _record(3, 0))
    subscriber.offer(4, _record(4, 0))
    subscriber.offer(5, _record(5, 0))  # a third unread job: over the bound, the stream ends
    assert subscriber.pending == 0
    with pytest.raises(EventStreamEnded) as ended:
        await subscriber.next()
    assert ended.value.lagged


@pytest.mark.anyio
async def test_an_ended_stream_hands_out_unread_states_first() -> None:
    subscriber = JobSubscriber(job_id=1)
    subscriber.offer(1, _record(1, 5, JobStatus.COMPLETED))
    subscriber.end(EventStreamEnded("the API is shutting down"))
    assert (await subscriber.next())[0] == 1
    with pytest.raises(EventStreamEnded) as ended:
        await subscriber.next()
    assert not ended.value.lagged


def test_subscribers_filter_by_job_and_shop() -> None:
    assert JobSubscriber(job_id=3).wants(3, 9) and not JobSubscriber(job_id=3).wants(4, 9)
    assert JobSubscriber(shop_id=9).wants(4, 9) and not JobSubscriber(shop_id=9).wants(4, 8)
    assert JobSubscriber().wants(4, 8)


def test_notification_payloads() -> None:
    event = parse_event('{"job_id": 5, "shop_id": 2, "status": "RUNNING"}')
    assert event is not None and (event.job_id, event.shop_id) == (5, 2)
    assert parse_event("not json") is None
    assert parse_event('{"shop_id": 2}') is None
