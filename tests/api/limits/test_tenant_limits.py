"""Per-tenant limits: each tenant's budget of expensive mutations, and its subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

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
from tests.support.api_server import JOB_EVENTS, ApiServer, graphql_ws, wait_for

pytestmark = pytest.mark.anyio

RETRY = """
mutation Retry($jobId: ID!) {
  retryDeadLetters(jobId: $jobId) { __typename ... on ValidationError { field message } }
}
"""


def _limited(body: dict[str, Any]) -> dict[str, Any] | None:
    """The LIMIT_EXCEEDED error of an answer, if that is what it is."""
    for error in body.get("errors") or []:
        if error.get("extensions", {}).get("code") == "LIMIT_EXCEEDED":
            found: dict[str, Any] = error
            return found
    return None


async def test_each_tenant_has_its_own_budget_of_expensive_mutations(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> None:
    settings = ApiSettings(
        database_url=database_url,
        connect_shop_per_minute=2,
        start_sync_job_per_minute=2,
        retry_dead_letters_per_minute=2,
    )
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    a_token, b_token = token_for(database_url, "tenant-a"), token_for(database_url, "tenant-b")
    async with api_client(app, a_token) as a, api_client(app, b_token) as b:
        connects = [
            await graphql(a, CONNECT, input={"domain": f"a{n}.myshopify.com", "accessToken": "x"})
            for n in range(3)
        ]
        assert [_limited(body) is None for body in connects] == [True, True, False]
        refused = _limited(connects[2])
        assert refused is not None
        assert refused["message"].startswith("too many connectShop requests for this tenant")
        assert 0 < refused["extensions"]["retryAfterS"] <= 30
        assert len(verifier.checked) == 2  # the refused one never reached Shopify

        # Another tenant's budget is its own.
        other = await graphql(b, CONNECT, input={"domain": "b0.myshopify.com", "accessToken": "x"})
        assert other["data"]["connectShop"]["__typename"] == "ShopConnected"

        # startSyncJob and retryDeadLetters: the same, each with its own bucket.
        shop_id = connects[0]["data"]["connectShop"]["shop"]["id"]
        starts = [
            await graphql(a, START, input={"shopId": shop_id, "syncMode": "FULL"}) for _ in range(3)
        ]
        assert [_limited(body) is None for body in starts] == [True, True, False]
        job_id = connects[0]["data"]["connectShop"]["initialJob"]["id"]
        retries = [await graphql(a, RETRY, jobId=job_id) for _ in range(3)]
        assert [_limited(body) is None for body in retries] == [True, True, False]


@pytest.fixture
def capped(database_url: str, queue: RecordingQueue, verifier: FakeVerifier) -> Iterator[ApiServer]:
    settings = ApiSettings(database_url=database_url, max_subscriptions_per_tenant=2)
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    with ApiServer(app) as server:
        yield server


def test_a_tenant_holds_at_most_its_subscriptions_across_connections(
    capped: ApiServer, database_url: str
) -> None:
    b_token = token_for(database_url, "tenant-b")
    with (
        graphql_ws(capped) as first,
        graphql_ws(capped) as second,
        graphql_ws(capped, token=b_token) as other_tenant,
    ):
        first.subscribe("1", JOB_EVENTS)
        second.subscribe("2", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 2, "two subscriptions of tenant-a")

        second.subscribe("3", JOB_EVENTS)
        refused = second.recv()
        assert refused["id"] == "3", refused
        [error] = refused["payload"]["errors"]
        assert error["message"] == "at most 2 subscriptions per tenant; end one first"
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED"}

        # Tenant B is not held back by tenant A's subscriptions.
        other_tenant.subscribe("b", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 3, "tenant-b's subscription")

        # Ending one of A's frees a slot for A, on any of its connections.
        first.send({"id": "1", "type": "complete"})
        wait_for(lambda: capped.hub.subscriber_count == 2, "the first subscription to end")
        second.subscribe("4", JOB_EVENTS)
        wait_for(lambda: capped.hub.subscriber_count == 3, "tenant-a's new subscription")
