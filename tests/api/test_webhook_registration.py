"""connectShop subscribes the shop's bulk_operations/finish webhook, best effort, over HTTP;
and the receiver does not mistake a copy of an early delivery for a duplicate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import ConnectionPool
from pydantic import SecretStr
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from api.webhooks import callback_url, finish_webhook_registrar
from bulk.errors import WebhookSubscriptionError
from service.container import build_services
from service.ports import ShopCredentials
from service.principal import SYSTEM, Principal, Role
from simulator.config import LEGACY_VERSIONS, ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.api import CONNECT, api_client, graphql
from tests.support.token_keys import TEST_CIPHER

pytestmark = pytest.mark.anyio

DOMAIN = "hooked.myshopify.com"
TOKEN = "shpat_hook_token_for_api_tests_01"
SECRET = "shpss_registration_test_secret"
PUBLIC_URL = "https://sync.example.com/"
CALLBACK = "https://sync.example.com/webhooks/shopify"


@dataclass
class SubscriptionCountingQueue:
    """Records each enqueued job with how many subscriptions the shop had at that moment."""

    simulator: SimulatorServer
    enqueued: list[tuple[int, int]] = field(default_factory=list)

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        subs = self.simulator.simulator.webhooks.subscriptions(DOMAIN)
        self.enqueued.append((job_id, len(subs)))


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    # `uri` only from 2025-07 here, so 2025-04 plays an old, `callbackUrl`-only version.
    config = SimulatorConfig(
        shops=[ShopConfig(domain=DOMAIN, access_token=TOKEN, orders=5)],
        webhook_uri_since="2025-07",
        legacy_versions=LEGACY_VERSIONS,  # 2025-04 answered as it was, not fallen forward
    )
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
def queue(simulator: SimulatorServer) -> SubscriptionCountingQueue:
    return SubscriptionCountingQueue(simulator)


def _settings(database_url: str, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "http_timeout_s": 5.0,
        "public_url": PUBLIC_URL,
        "webhook_secret": SecretStr(SECRET),
    }
    return ApiSettings(**(values | overrides))


@pytest.fixture
def settings(database_url: str) -> ApiSettings:
    return _settings(database_url)


@pytest.fixture
async def client(
    settings: ApiSettings, queue: SubscriptionCountingQueue
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its real verifier and real registrar, both talking to the simulator."""
    app: Starlette = create_app(settings, queue=queue)
    async with api_client(app) as c:
        yield c


async def _connect(
    client: httpx.AsyncClient, simulator: SimulatorServer, version: str = "2026-04"
) -> dict[str, Any]:
    variables = {
        "domain": DOMAIN,
        "accessToken": TOKEN,
        "adminUrl": simulator.base_url,
        "apiVersion": version,
    }
    body = await graphql(client, CONNECT, input=variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["connectShop"]
    assert result["__typename"] == "ShopConnected", result
    return result


def _subscriptions(simulator: SimulatorServer) -> list[Any]:
    return simulator.simulator.webhooks.subscriptions(DOMAIN)


async def test_connect_subscribes_before_the_initial_job_is_enqueued(
    simulator: SimulatorServer, client: httpx.AsyncClient, queue: SubscriptionCountingQueue
) -> None:
    result = await _connect(client, simulator)

    finish, deletes = _subscriptions(simulator)
    assert (finish.topic, finish.uri, finish.format, finish.api_version) == (
        "BULK_OPERATIONS_FINISH",
        CALLBACK,
        "JSON",
        "2026-04",
    )
    # Deleted orders too (issue #9), at the same address.
    assert (deletes.topic, deletes.uri, deletes.format) == ("ORDERS_DELETE", CALLBACK, "JSON")
    # The GraphQL answer is unchanged; the initial job went out after the subscriptions.
    assert set(result) == {"__typename", "shop", "initialJob"}
    assert queue.enqueued == [(int(result["initialJob"]["id"]), 2)]


async def test_a_reconnect_subscribes_again_and_still_connects(
    simulator: SimulatorServer, client: httpx.AsyncClient, queue: SubscriptionCountingQueue
) -> None:
    await _connect(client, simulator)
    again = await _connect(client, simulator)

    assert again["initialJob"] is None
    # Real Shopify answers "already taken" (success); the simulator simply adds one.
    assert [s.uri for s in _subscriptions(simulator)] == [CALLBACK] * 4


async def test_an_old_version_subscribes_with_callback_url(
    simulator: SimulatorServer, client: httpx.AsyncClient
) -> None:
    await _connect(client, simulator, version="2025-04")

    subs = _subscriptions(simulator)
    assert [(s.topic, s.uri, s.api_version) for s in subs] == [
        ("BULK_OPERATIONS_FINISH", CALLBACK, "2025-04"),
        ("ORDERS_DELETE", CALLBACK, "2025-04"),
    ]


def _accept(credentials: ShopCredentials) -> str:
    """A verifier that asks nothing of Shopify: the registrar's request is the only one."""
    return credentials.domain


async def test_a_failed_subscription_does_not_fail_the_connection(
    simulator: SimulatorServer,
    settings: ApiSettings,
    queue: SubscriptionCountingQueue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    httpx.post(
        f"{simulator.base_url}/_sim/faults",
        json={"kind": "http_status", "shop": DOMAIN, "params": {"status": 503}},
    ).raise_for_status()
    app = create_app(settings, queue=queue, verifier=_accept)
    async with api_client(app) as c:
        result = await _connect(c, simulator)

    assert _subscriptions(simulator) == []
    assert queue.enqueued == [(int(result["initialJob"]["id"]), 0)]
    warnings = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg["event"] == "shop.webhook_subscription_failed"
    ]
    assert len(warnings) == 1 and warnings[0]["level"] == "warning"
    assert warnings[0]["error"] == "ShopifyUnreachableError"
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert TOKEN not in logged and SECRET not in logged


@pytest.mark.parametrize(
    "overrides", [{"public_url": None}, {"webhook_secret": None}, {"public_url": ""}]
)
def test_no_registrar_without_public_url_and_secret(
    database_url: str, overrides: dict[str, Any]
) -> None:
    assert finish_webhook_registrar(_settings(database_url, **overrides)) is None
    assert finish_webhook_registrar(_settings(database_url)) is not None
    assert callback_url(" https://a.example/base/ ") == "https://a.example/base/webhooks/shopify"


async def test_without_public_url_nothing_is_subscribed(
    simulator: SimulatorServer, database_url: str, queue: SubscriptionCountingQueue
) -> None:
    app = create_app(_settings(database_url, public_url=None), queue=queue)
    async with api_client(app) as c:
        await _connect(c, simulator)
    assert _subscriptions(simulator) == []
    assert simulator.simulator.log.list(kind="subscribe") == []


@dataclass
class _Recorder:
    enqueued: list[int] = field(default_factory=list)

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        self.enqueued.append(job_id)


@pytest.mark.parametrize(
    "error",
    [WebhookSubscriptionError("Address is invalid"), RuntimeError(f"boom {TOKEN}")],
)
def test_any_registrar_failure_is_logged_safely_and_the_shop_connects(
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    def registrar(credentials: ShopCredentials) -> str | None:
        raise error

    with ConnectionPool(database_url, min_size=1, max_size=2, open=True) as pool:
        queue = _Recorder()
        services = build_services(
            pool,
            queue,
            cipher=TEST_CIPHER,
            default_api_version="2026-04",
            webhook_registrar=registrar,
        )
        tenant_id = services.tokens.ensure_tenant(SYSTEM, "tenant-a")
        with caplog.at_level(logging.INFO):
            connected = services.shops.connect(
                Principal(tenant_id, Role.ADMIN),
                domain=DOMAIN,
                access_token=TOKEN,
                api_version=None,
                admin_url=None,
            )
    assert connected.webhook_subscribed is False and connected.initial_job is not None
    assert queue.enqueued == [connected.initial_job.id]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.msg["error"] == type(error).__name__
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert TOKEN not in logged
    if isinstance(error, WebhookSubscriptionError):
        assert "Address is invalid" in logged


async def test_a_delivery_for_a_not_yet_persisted_operation_can_wake_on_a_later_copy(
    simulator: SimulatorServer, database_url: str, queue: SubscriptionCountingQueue
) -> None:
    """An operation can finish before its id is stored: a later copy is no duplicate."""
    operation = "gid://shopify/BulkOperation/4242"
    body = json.dumps({"admin_graphql_api_id": operation, "status": "completed"}).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    headers = {
        "X-Shopify-Topic": "bulk_operations/finish",
        "X-Shopify-Hmac-Sha256": signature.decode(),
    }
    app = create_app(_settings(database_url), queue=queue, verifier=_accept)
    async with api_client(app) as c:
        job_id = int((await _connect(c, simulator))["initialJob"]["id"])
        early = await c.post("/webhooks/shopify", content=body, headers=headers)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE sync_jobs SET status = 'RUNNING', bulk_operation_id = %s WHERE id = %s",
                (operation, job_id),
            )
        later = await c.post("/webhooks/shopify", content=body, headers=headers)
        again = await c.post("/webhooks/shopify", content=body, headers=headers)
    assert [r.json()["status"] for r in (early, later, again)] == [
        "unknown",
        "enqueued",
        "duplicate",
    ]
    assert [job for job, _ in queue.enqueued] == [job_id, job_id]
