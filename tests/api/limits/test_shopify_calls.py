"""connectShop's calls to a slow Shopify run on a small pool of their own: nothing else waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import CONNECT, RecordingQueue, bearer, graphql, token_for

pytestmark = pytest.mark.anyio

CONCURRENCY = 4
# The slow host gives up holding requests after this long, so a regression fails instead of
# hanging; the test itself releases them as soon as it has its answers.
HOLD_CAP_S = 5.0


class SlowShopify:
    """An HTTP server holding every request until released, then refusing the token (401)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = 0
        self.in_flight = 0
        self.most_in_flight = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                with lock:
                    outer.arrived += 1
                    outer.in_flight += 1
                    outer.most_in_flight = max(outer.most_in_flight, outer.in_flight)
                outer.release.wait(HOLD_CAP_S)
                with lock:
                    outer.in_flight -= 1
                self.send_response(401)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SlowShopify:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def slow() -> Iterator[SlowShopify]:
    with SlowShopify() as server:
        yield server


async def test_fifty_slow_connects_do_not_delay_healthz_or_queries(
    database_url: str, queue: RecordingQueue, slow: SlowShopify
) -> None:
    settings = ApiSettings(
        database_url=database_url,
        verify_shops=True,  # the real verifier, over HTTP to the slow host
        verify_max_concurrency=CONCURRENCY,
        verify_timeout_s=30.0,
        # This test is about threads, not rates: all fifty pass the per-tenant bucket.
        connect_shop_per_minute=100,
    )
    app = create_app(settings, queue=queue, pool_max_size=4)
    finished: list[str] = []

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url="http://api.test",
            timeout=60,
            headers=bearer(token_for(database_url)),
        ) as client,
    ):

        async def connect(n: int) -> None:
            body = await graphql(
                client,
                CONNECT,
                input={
                    "domain": f"shop{n}.myshopify.com",
                    "accessToken": "shpat_slow_0000",
                    "adminUrl": slow.url,
                },
            )
            assert body["data"]["connectShop"]["code"] == "AUTHENTICATION", body
            finished.append("connect")

        async with anyio.create_task_group() as tasks:
            for n in range(50):
                tasks.start_soon(connect, n)
            while slow.arrived < CONCURRENCY:
                await anyio.sleep(0.01)

            health = await client.get("/healthz")
            finished.append("healthz")
            query = await graphql(client, "{ shops { id } syncJobs { id } }")
            finished.append("query")
            slow.release.set()

    assert health.json() == {"status": "ok"}
    assert query == {"data": {"shops": [], "syncJobs": []}}
    assert finished[:2] == ["healthz", "query"], finished[:5]
    assert finished.count("connect") == 50
    assert slow.most_in_flight <= CONCURRENCY
