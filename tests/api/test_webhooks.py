"""POST /webhooks/shopify: signed bulk_operations/finish deliveries wake their job."""

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
from bulk.config import Settings

from .conftest import FakeVerifier, RecordingQueue, api_client, connect_shop

pytestmark = pytest.mark.anyio

SECRET = "shpss_test_webhook_secret"
OPERATION = "gid://shopify/BulkOperation/777"


def _signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    headers = {
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Topic": "bulk_operations/finish",
        "X-Shopify-Shop-Domain": "demo.myshopify.com",
        "Content-Type": "application/json",
    }
    return body, headers


def _finish(operation_id: str = OPERATION, status: str = "completed") -> dict[str, Any]:
    return {
        "admin_graphql_api_id": operation_id,
        "status": status,
        "error_code": None,
        "type": "query",
        "created_at": "2026-01-01T00:00:00Z",
        "completed_at": "2026-01-01T00:01:00Z",
    }


@pytest.fixture
async def hook_client(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=database_url, webhook_secret=SecretStr(SECRET))
    app: Starlette = create_app(settings, queue=queue, verifier=verifier)
    async with api_client(app) as c:
        yield c


async def _job_following_operation(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> int:
    job_id = int((await connect_shop(client))["initialJob"]["id"])
    conn.execute(
        "UPDATE sync_jobs SET status = 'RUNNING', bulk_operation_id = %s WHERE id = %s",
        (OPERATION, job_id),
    )
    queue.enqueued.clear()
    return job_id


async def test_a_signed_finish_enqueues_the_job_once_per_status(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    job_id = await _job_following_operation(hook_client, conn, queue)

    body, headers = _signed(_finish())
    first = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    again = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    body, headers = _signed(_finish(status="failed"))
    other_status = await hook_client.post("/webhooks/shopify", content=body, headers=headers)

    assert (first.status_code, first.json()) == (200, {"status": "enqueued"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert other_status.json() == {"status": "enqueued"}
    assert queue.enqueued == [job_id, job_id]


async def test_unknown_operations_and_other_topics_get_200_and_nothing_is_enqueued(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    await _job_following_operation(hook_client, conn, queue)

    body, headers = _signed(_finish("gid://shopify/BulkOperation/1"))
    unknown = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    body, headers = _signed({"id": 1})
    other_topic = await hook_client.post(
        "/webhooks/shopify", content=body, headers=headers | {"X-Shopify-Topic": "orders/create"}
    )

    assert (unknown.status_code, unknown.json()) == (200, {"status": "unknown"})
    assert (other_topic.status_code, other_topic.json()) == (200, {"status": "ignored"})
    assert queue.enqueued == []


async def test_a_finished_job_is_not_woken(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    await _job_following_operation(hook_client, conn, queue)
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED'")

    body, headers = _signed(_finish())
    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)

    assert response.json() == {"status": "unknown"}
    assert queue.enqueued == []


@pytest.mark.parametrize("signature", ["", "not-base64", "c2lnbmF0dXJl", None])
async def test_bad_signatures_are_refused(
    hook_client: httpx.AsyncClient,
    conn: psycopg.Connection[Any],
    queue: RecordingQueue,
    signature: str | None,
) -> None:
    await _job_following_operation(hook_client, conn, queue)
    body, headers = _signed(_finish())
    if signature is None:
        # Signed with another secret.
        _, headers = _signed(_finish(), secret="shpss_someone_else")
    else:
        headers["X-Shopify-Hmac-Sha256"] = signature

    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)

    assert response.status_code == 401
    assert queue.enqueued == []


async def test_a_tampered_body_is_refused(hook_client: httpx.AsyncClient) -> None:
    body, headers = _signed(_finish())
    tampered = body.replace(b"777", b"778")

    response = await hook_client.post("/webhooks/shopify", content=tampered, headers=headers)

    assert response.status_code == 401


async def test_a_signed_but_malformed_payload_is_a_400(hook_client: httpx.AsyncClient) -> None:
    body, headers = _signed({"status": "completed"})
    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 400


async def test_without_a_secret_there_is_no_webhook_route(client: httpx.AsyncClient) -> None:
    body, headers = _signed(_finish())
    response = await client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 404
