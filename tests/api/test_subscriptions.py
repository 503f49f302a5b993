"""Job subscriptions over a real WebSocket to a real uvicorn server, with NOTIFY from Postgres."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import uvicorn
from psycopg import sql
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from api.app import create_app
from api.job_events import JobEventHub, JobSubscriber, parse_event
from api.settings import ApiSettings
from bulk import jobs, shops, tenants
from bulk.errors import EventStreamEnded
from bulk.ingest import IngestStats
from bulk.jobs import JobRequest, SyncJob
from bulk.types import JobStatus, JobType, SyncMode
from service.principal import SYSTEM
from tests.token_keys import PRODUCTION, TEST_CIPHER

from .conftest import JOB_FIELDS, FakeVerifier, RecordingQueue

TOKEN = "shpat_subscription_secret_7f3a9c"
RECV_TIMEOUT_S = 10.0

JOB_UPDATED = f"subscription Watch($id: ID!) {{ syncJobUpdated(id: $id) {{ {JOB_FIELDS} }} }}"
JOB_EVENTS = (
    f"subscription Events($shopId: ID) {{ syncJobEvents(shopId: $shopId) {{ {JOB_FIELDS} }} }}"
)

DbConn = psycopg.Connection[tuple[Any, ...]]


class ApiServer:
    """The app under uvicorn on a free local port, in a background thread.

    ``token``: an admin token of tenant-a (``TENANT``), issued once the app is up.
    """

    def __init__(self, app: Starlette, **options: Any) -> None:
        self.app = app
        self.hub: JobEventHub = app.state.job_events
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
            **options,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: self._server.run(sockets=[self._sock]), name="api-uvicorn"
        )

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> ApiServer:
        self._thread.start()
        wait_for(lambda: self._server.started, "the server to start")
        wait_for(lambda: self.hub.listening, "the hub to LISTEN")
        self.token = self.issue_token()
        return self

    def issue_token(self, tenant: str = "tenant-a", role: str = "admin") -> str:
        issued = self.app.state.services.tokens.create(SYSTEM, tenant=tenant, role=role)
        token: str = issued.token
        return token

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self._sock.close()


class GraphQLWS:
    """A graphql-transport-ws (or graphql-ws) client; keeps every raw message it received."""

    def __init__(self, ws: ClientConnection) -> None:
        self.received: list[str] = []
        self._ws = ws

    def send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message))

    def subscribe(self, op_id: str, query: str, **variables: Any) -> None:
        self.send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    def recv(self, timeout_s: float = RECV_TIMEOUT_S) -> dict[str, Any]:
        while True:
            raw = self._ws.recv(timeout=timeout_s)
            assert isinstance(raw, str)
            self.received.append(raw)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] not in ("ka", "ping", "pong"):
                return message

    def watch(self, op_id: str, job_id: int) -> dict[str, Any]:
        """Subscribe to ``syncJobUpdated`` of the job; the first state pushed."""
        self.subscribe(op_id, JOB_UPDATED, id=str(job_id))
        return self.next_job(op_id)

    def next_job(self, op_id: str) -> dict[str, Any]:
        """The next pushed SyncJob of the operation (fails on anything else)."""
        message = self.recv()
        assert message["type"] in ("next", "data"), message
        assert message["id"] == op_id, message
        assert "errors" not in message["payload"], message
        job: dict[str, Any] = next(iter(message["payload"]["data"].values()))
        return job


@contextlib.contextmanager
def graphql_ws(
    server: ApiServer, protocol: str = "graphql-transport-ws", token: str | None = None
) -> Iterator[GraphQLWS]:
    """An acknowledged connection to the API's WebSocket endpoint (with the server's token
    unless another is given)."""
    with connect(server.ws_url, subprotocols=[Subprotocol(protocol)], open_timeout=5) as ws:
        assert ws.subprotocol == protocol
        client = GraphQLWS(ws)
        payload = {"Authorization": f"Bearer {token or server.token}"}
        client.send({"type": "connection_init", "payload": payload})
        assert client.recv()["type"] == "connection_ack"
        yield client


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def make_shop(conn: DbConn, domain: str = "demo.myshopify.com", tenant: str = "tenant-a") -> int:
    """A shop of the tenant (tenant-a: the one ApiServer's token is of)."""
    shop, _ = shops.upsert_shop(
        conn,
        domain=domain,
        access_token=TOKEN,
        api_version="2026-10",
        admin_url=f"https://{domain}",
        cipher=TEST_CIPHER,
        tenant_id=tenants.ensure_tenant(conn, tenant),
    )
    return shop.id


def make_job(conn: DbConn, shop_id: int) -> int:
    return jobs.create_job(conn, JobRequest(shop_id=shop_id)).job.id


def set_job(conn: DbConn, job_id: int, **columns: Any) -> None:
    """UPDATE the row from another connection; the trigger NOTIFYs on commit."""
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in columns
    )
    query = sql.SQL("UPDATE sync_jobs SET {}, updated_at = now() WHERE id = %(job_id)s")
    conn.execute(query.format(assignments), {**columns, "job_id": job_id})


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
