"""A real uvicorn server running the API, a GraphQL-over-WebSocket client for it, and the rows
its subscription tests start from."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import uvicorn
from psycopg import sql
from starlette.applications import Starlette
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from api.job_events import JobEventHub
from bulk import jobs, shops, tenants
from bulk.jobs import JobRequest
from service.principal import SYSTEM
from tests.support.api import JOB_FIELDS
from tests.support.token_keys import TEST_CIPHER
from tests.support.waiting import wait_for

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
