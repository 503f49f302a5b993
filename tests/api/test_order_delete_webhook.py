"""POST /webhooks/shopify with orders/delete: a signed delivery marks that shop's order deleted
(with its line items), once; never another shop's, whichever tenant holds it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue, api_client, connect_shop, token_for

pytestmark = pytest.mark.anyio

SECRET = "shpss_test_webhook_secret"
SHOP_A = "alpha.myshopify.com"
SHOP_B = "beta.myshopify.com"
LEGACY = 450789469


def _signed(
    payload: Any, *, domain: str = SHOP_A, webhook_id: str = "wh-1", secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    headers = {
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": "orders/delete",
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": webhook_id,
        "Content-Type": "application/json",
    }
    return body, headers


@pytest.fixture
async def app(database_url: str, queue: RecordingQueue, verifier: FakeVerifier) -> Starlette:
    settings = ApiSettings(database_url=database_url, webhook_secret=SecretStr(SECRET))
    return create_app(settings, queue=queue, verifier=verifier)


@pytest.fixture
async def hook_client(
    app: Starlette, database_url: str, conn: psycopg.Connection[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    """Shop A of tenant-a and shop B of tenant-b, each with order LEGACY and 2 line items."""
    async with api_client(app) as client:
        await connect_shop(client, SHOP_A, "shpat_good_a")
        async with api_client(app, token_for(database_url, "tenant-b")) as other:
            await connect_shop(other, SHOP_B, "shpat_good_b")
        for domain in (SHOP_A, SHOP_B):
            row = conn.execute("SELECT id FROM shops WHERE domain = %s", (domain,)).fetchone()
            assert row is not None
            order_id = f"gid://shopify/Order/{LEGACY}"
            conn.execute(
                "INSERT INTO orders (shop_id, id, legacy_resource_id, raw)"
                " VALUES (%s, %s, %s, '{}')",
                (row[0], order_id, LEGACY),
            )
            for n in range(2):
                conn.execute(
                    "INSERT INTO line_items (shop_id, id, order_id, raw) VALUES (%s, %s, %s, '{}')",
                    (row[0], f"gid://shopify/LineItem/{n}", order_id),
                )
        yield client


def _deleted(conn: psycopg.Connection[Any]) -> list[tuple[str, bool, int]]:
    """Per shop: its domain, whether its order is deleted, how many line items are."""
    rows = conn.execute(
        "SELECT s.domain, o.deleted_at IS NOT NULL,"
        " (SELECT count(*) FROM line_items AS li"
        "   WHERE li.shop_id = s.id AND li.deleted_at IS NOT NULL)"
        " FROM shops AS s JOIN orders AS o ON o.shop_id = s.id ORDER BY s.domain"
    ).fetchall()
    return [(str(r[0]), bool(r[1]), int(r[2])) for r in rows]


NOTHING = [(SHOP_A, False, 0), (SHOP_B, False, 0)]


async def test_a_signed_delete_marks_only_that_shops_order_once(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    body, headers = _signed({"id": LEGACY})
    first = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert (first.status_code, first.json()) == (200, {"status": "deleted"})
    assert _deleted(conn) == [(SHOP_A, True, 2), (SHOP_B, False, 0)]
    assert conn.execute("SELECT count(*) FROM live_orders").fetchone() == (1,)

    replay = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    body, headers = _signed({"id": LEGACY}, webhook_id="wh-2")  # the same event, redelivered
    again = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert replay.json() == again.json() == {"status": "duplicate"}
    assert _deleted(conn) == [(SHOP_A, True, 2), (SHOP_B, False, 0)]

    body, headers = _signed({"id": LEGACY}, domain=SHOP_B, webhook_id="wh-3")
    other = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert other.json() == {"status": "deleted"}
    assert _deleted(conn) == [(SHOP_A, True, 2), (SHOP_B, True, 2)]


@pytest.mark.parametrize(
    "tamper",
    ["secret", "body"],
)
async def test_a_bad_signature_is_401_and_writes_nothing(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any], tamper: str
) -> None:
    body, headers = _signed(
        {"id": LEGACY}, secret="not-the-secret" if tamper == "secret" else SECRET
    )
    if tamper == "body":
        body = json.dumps({"id": LEGACY + 1}).encode()
    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 401
    assert _deleted(conn) == NOTHING
    assert conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone() == (0,)


async def test_an_unknown_shop_or_order_is_200_and_writes_nothing(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    for payload, domain in (({"id": LEGACY}, "gamma.myshopify.com"), ({"id": 1}, SHOP_A)):
        body, headers = _signed(payload, domain=domain, webhook_id=f"wh-{domain}")
        response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
        assert (response.status_code, response.json()) == (200, {"status": "unknown"})
    assert _deleted(conn) == NOTHING
    assert conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone() == (0,)


@pytest.mark.parametrize(
    "payload", [{"id": "450789469"}, {"id": True}, {"id": -1}, {"id": 2**63}, [LEGACY], {}]
)
async def test_a_malformed_payload_is_400(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any], payload: Any
) -> None:
    body, headers = _signed(payload)
    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 400
    assert _deleted(conn) == NOTHING


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    limit = ApiSettings().webhook_max_body_bytes
    body, headers = _signed({"id": LEGACY, "note": "x" * limit})
    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 413
    assert _deleted(conn) == NOTHING
