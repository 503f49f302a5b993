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
from psycopg_pool import ConnectionPool
from pydantic import SecretStr
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue, api_client, connect_shop
from workers.scheduler.prune import PruneWebhookDeliveries

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
    settings = ApiSettings(database_url=database_url, webhook_secret=SecretStr(SECRET))
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


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,  # nested beyond the parser's recursion, under the size limit
        b"\xff\xfe not utf-8",
        b"[1, 2]",
        b'"a string"',
        json.dumps({"admin_graphql_api_id": 777, "status": "completed"}).encode(),
        json.dumps({"admin_graphql_api_id": "gid://x\u0000y", "status": "completed"}).encode(),
        json.dumps({"admin_graphql_api_id": "g" * 50_000, "status": "completed"}).encode(),
        json.dumps({"admin_graphql_api_id": OPERATION, "status": "\u0000"}).encode(),
    ],
)
async def test_a_signed_but_malformed_body_is_a_400_never_a_500(
    hook_client: httpx.AsyncClient, body: bytes
) -> None:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    _, headers = _signed(_finish())
    headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(digest).decode()

    response = await hook_client.post("/webhooks/shopify", content=body, headers=headers)

    assert response.status_code == 400


async def test_a_replay_after_a_restart_is_ignored(
    database_url: str,
    conn: psycopg.Connection[Any],
    queue: RecordingQueue,
    verifier: FakeVerifier,
) -> None:
    settings = ApiSettings(database_url=database_url, webhook_secret=SecretStr(SECRET))
    body, headers = _signed(_finish())
    headers["X-Shopify-Webhook-Id"] = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    answers = []
    # Two app instances one after the other over the same database: a restart.
    for instance in range(2):
        app = create_app(settings, queue=queue, verifier=verifier)
        async with api_client(app) as c:
            if instance == 0:
                job_id = await _job_following_operation(c, conn, queue)
            answers.append(
                (await c.post("/webhooks/shopify", content=body, headers=headers)).json()
            )
    assert answers == [{"status": "enqueued"}, {"status": "duplicate"}]
    assert queue.enqueued == [job_id]


async def test_a_webhook_id_seen_before_marks_a_duplicate(
    hook_client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    job_id = await _job_following_operation(hook_client, conn, queue)
    body, headers = _signed(_finish())
    headers["X-Shopify-Webhook-Id"] = "same-delivery"
    first = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    body, headers_again = _signed(_finish(status="failed"))
    again = await hook_client.post(
        "/webhooks/shopify",
        content=body,
        headers=headers_again | {"X-Shopify-Webhook-Id": "same-delivery"},
    )
    assert (first.json(), again.json()) == ({"status": "enqueued"}, {"status": "duplicate"})
    assert queue.enqueued == [job_id]


async def test_old_deliveries_are_pruned_by_the_scheduler_then_no_longer_duplicates(
    hook_client: httpx.AsyncClient,
    conn: psycopg.Connection[Any],
    queue: RecordingQueue,
    database_url: str,
) -> None:
    job_id = await _job_following_operation(hook_client, conn, queue)
    body, headers = _signed(_finish())
    headers["X-Shopify-Webhook-Id"] = "old-delivery"
    await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    conn.execute("UPDATE webhook_deliveries SET received_at = now() - interval '8 days'")
    conn.execute("INSERT INTO webhook_deliveries (delivery_key) VALUES ('webhook:recent')")

    with ConnectionPool(database_url, min_size=1, max_size=1, kwargs={"autocommit": True}) as pool:
        task = PruneWebhookDeliveries(pool, retention_s=7 * 24 * 3600.0).task(3600.0)
        removed = task.run()

    assert removed == 2  # both keys of the old delivery
    kept = conn.execute("SELECT delivery_key FROM webhook_deliveries").fetchall()
    assert kept == [("webhook:recent",)]
    replay = await hook_client.post("/webhooks/shopify", content=body, headers=headers)
    assert replay.json() == {"status": "enqueued"}
    assert queue.enqueued == [job_id, job_id]
