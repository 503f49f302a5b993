"""The old frontend's REST contract: POST /api/shopify/sync/jobs/start and GET
/api/shopify/sync/jobs, with the mutations' messages, auth, limits and tenant isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import (
    CONNECT,
    START,
    FakeVerifier,
    RecordingQueue,
    api_client,
    graphql,
    token_for,
)

pytestmark = pytest.mark.anyio

START_PATH = "/api/shopify/sync/jobs/start"
LIST_PATH = "/api/shopify/sync/jobs"


async def _shop(client: httpx.AsyncClient, domain: str = "alpha.myshopify.com") -> str:
    """A connected shop without an initial job."""
    body = await graphql(
        client,
        CONNECT,
        input={"domain": domain, "accessToken": f"shpat_{domain[:5]}", "initialSync": False},
    )
    shop_id: str = body["data"]["connectShop"]["shop"]["id"]
    return shop_id


async def _cancel_active(client: httpx.AsyncClient, job_id: str) -> None:
    cancel = "mutation C($id: ID!) { cancelSyncJob(id: $id) { __typename } }"
    assert "errors" not in await graphql(client, cancel, id=job_id)


async def test_start_takes_lower_case_modes_and_the_only_shop(
    client: httpx.AsyncClient, queue: RecordingQueue
) -> None:
    shop_id = await _shop(client)
    started = await client.post(START_PATH, json={"syncMode": "populate", "days": 7})
    assert started.status_code == 201, started.text
    job = started.json()["job"]
    assert started.json()["alreadyRunning"] is False
    assert (job["shopId"], job["syncMode"], job["days"], job["status"]) == (
        shop_id,
        "populate",
        7,
        "QUEUED",
    )
    assert job["jobType"] == "orders" and job["stats"]["ordersCreated"] == 0
    assert queue.enqueued == [int(job["id"])]

    again = await client.post(START_PATH, json={"jobType": "orders", "syncMode": "full"})
    assert again.status_code == 200
    assert again.json() == {"job": job, "alreadyRunning": True}

    await _cancel_active(client, job["id"])
    omitted = await client.post(START_PATH, json={"shopId": shop_id})
    assert omitted.status_code == 201 and omitted.json()["job"]["syncMode"] == "full"
    await _cancel_active(client, omitted.json()["job"]["id"])
    update = await client.post(START_PATH, json={"syncMode": "update", "staleAfterMins": 30})
    assert update.json()["job"]["staleAfterMins"] == 30

    listed = (await client.get(LIST_PATH)).json()["jobs"]
    assert [(j["syncMode"], j["status"]) for j in listed] == [
        ("update", "QUEUED"),
        ("full", "CANCELLED"),
        ("populate", "CANCELLED"),
    ]
    assert set(listed[0]["stats"]) >= {"linesRead", "ordersUpdated", "failedLines", "bytesRead"}
    assert len((await client.get(LIST_PATH, params={"limit": 1})).json()["jobs"]) == 1
    assert (await client.get(LIST_PATH, params={"shopId": shop_id})).json()["jobs"] == listed


@pytest.mark.parametrize(
    "body",
    [
        {"syncMode": "update"},
        {"syncMode": "full", "days": 3},
        {"syncMode": "populate", "days": 0},
        {"syncMode": "update", "staleAfterMins": -5},
        {"syncMode": "full", "staleAfterMins": 10},
    ],
)
async def test_validation_messages_are_the_mutations(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    shop_id = await _shop(client)
    answer = await client.post(START_PATH, json=body)
    mutation_input = {**body, "shopId": shop_id, "syncMode": body["syncMode"].upper()}
    mutation = (await graphql(client, START, input=mutation_input))["data"]["startSyncJob"]
    assert mutation["__typename"] == "ValidationError"
    assert answer.status_code == 400
    assert answer.json() == {"error": {"field": mutation["field"], "message": mutation["message"]}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"syncMode": "weekly"}, "syncMode"),
        ({"syncMode": 3}, "syncMode"),
        ({"jobType": "products"}, "jobType"),
        ({"days": "7", "syncMode": "populate"}, "days"),
        ({"shopId": "abc"}, "shopId"),
    ],
)
async def test_malformed_fields_name_themselves(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    await _shop(client)
    answer = await client.post(START_PATH, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field


async def test_a_body_that_is_not_a_json_object_is_a_400(client: httpx.AsyncClient) -> None:
    for raw in (b"{", b"[1]", b'"full"', b"\xff"):
        answer = await client.post(
            START_PATH, content=raw, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400, raw
        assert answer.json()["error"]["field"] is None


async def test_without_shop_id_the_tenant_needs_exactly_one_shop(
    client: httpx.AsyncClient,
) -> None:
    none = await client.post(START_PATH, json={})
    assert none.status_code == 400 and none.json()["error"]["field"] == "shopId"
    await _shop(client, "alpha.myshopify.com")
    await _shop(client, "bravo.myshopify.com")
    two = await client.post(START_PATH, json={})
    assert two.status_code == 400
    assert two.json()["error"] == {
        "field": "shopId",
        "message": "shopId is required: this tenant has 2 shops",
    }


async def test_auth_is_the_apis(app: Starlette, database_url: str) -> None:
    viewer_token = token_for(database_url, role="viewer")
    async with (
        api_client(app, anonymous=True) as anonymous,
        api_client(app) as admin,
        api_client(app, viewer_token) as viewer,
    ):
        for method, path in (("POST", START_PATH), ("GET", LIST_PATH)):
            refused = await anonymous.request(method, path, json={})
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            garbage = await anonymous.request(
                method, path, json={}, headers={"Authorization": "Bearer nope"}
            )
            assert garbage.status_code == 401
        await _shop(admin)
        forbidden = await viewer.post(START_PATH, json={})
        assert forbidden.status_code == 403
        assert "read-only" in forbidden.json()["error"]["message"]
        assert (await viewer.get(LIST_PATH)).status_code == 200


async def test_another_tenants_shop_and_jobs_do_not_exist_for_it(
    app: Starlette, client: httpx.AsyncClient, database_url: str, queue: RecordingQueue
) -> None:
    shop_a = await _shop(client)
    job_a = (await client.post(START_PATH, json={})).json()["job"]
    async with api_client(app, token_for(database_url, "tenant-b")) as other:
        theirs = await other.post(START_PATH, json={"shopId": shop_a})
        unknown = await other.post(START_PATH, json={"shopId": "987654"})
        assert theirs.status_code == 400
        assert theirs.json()["error"] == {"field": "shopId", "message": f"no shop with id {shop_a}"}
        assert unknown.json()["error"]["message"] == "no shop with id 987654"
        assert (await other.get(LIST_PATH)).json() == {"jobs": []}
        assert (await other.get(LIST_PATH, params={"shopId": shop_a})).json() == {"jobs": []}
        # Tenant B's only shop is its own, never A's.
        none = await other.post(START_PATH, json={})
        assert none.json()["error"]["field"] == "shopId"
    assert queue.enqueued == [int(job_a["id"])]


@pytest.mark.parametrize("limit", ["0", "501", "x", "-1"])
async def test_list_limit_is_bounded(client: httpx.AsyncClient, limit: str) -> None:
    answer = await client.get(LIST_PATH, params={"limit": limit})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "limit"


async def test_rate_and_body_size_limits(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> None:
    settings = ApiSettings(
        database_url=database_url, start_sync_job_per_minute=1, graphql_max_body_bytes=2000
    )
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    async with api_client(app) as client:
        shop_id = await _shop(client)
        assert (await client.post(START_PATH, json={})).status_code == 201
        limited = await client.post(START_PATH, json={"shopId": shop_id})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert "too many startSyncJob requests" in limited.json()["error"]["message"]
        # The same bucket as the mutation.
        mutation = await graphql(client, START, input={"shopId": shop_id})
        assert mutation["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"

        large = await client.post(START_PATH, json={"syncMode": "full", "pad": "x" * 3000})
        assert large.status_code == 413
