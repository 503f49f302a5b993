"""Tenant isolation: tenant B can neither see nor touch anything of tenant A, over HTTP and
WebSocket; a viewer cannot mutate; production refuses every request without a valid token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from starlette.applications import Starlette
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from api.app import create_app
from api.settings import ApiSettings
from bulk import shops
from bulk.errors import Forbidden
from cli.services import local_services
from service.principal import SYSTEM, Principal, Role
from tests.support.api import (
    CONNECT,
    SET_ORDER_FIELDS,
    START,
    FakeVerifier,
    RecordingQueue,
    api_client,
    graphql,
    token_for,
)
from tests.support.api_server import (
    JOB_EVENTS,
    JOB_UPDATED,
    ApiServer,
    GraphQLWS,
    graphql_ws,
    set_job,
)
from tests.support.token_keys import PRODUCTION, TEST_CIPHER

pytestmark = pytest.mark.anyio

A_DOMAIN = "alpha.myshopify.com"
B_DOMAIN = "bravo.myshopify.com"

READS = """
query Reads($shopId: ID!, $jobId: ID!) {
  shop(id: $shopId) { id domain adminUrl }
  shops { id domain }
  syncJob(id: $jobId) { id status deadLetters(includeResolved: true) { line } }
  syncJobs { id }
  shopJobs: syncJobs(shopId: $shopId) { id }
  deadLetters(jobId: $jobId, includeResolved: true) { id line }
  orders(shopId: $shopId) { id lineItems { id } }
}
"""

CANCEL = """
mutation Cancel($id: ID!) {
  cancelSyncJob(id: $id) {
    __typename
    ... on ValidationError { field message }
    ... on SyncJobCancelled { job { id status } }
  }
}
"""

RETRY = """
mutation Retry($jobId: ID!) {
  retryDeadLetters(jobId: $jobId) {
    __typename
    ... on ValidationError { field message }
    ... on DeadLettersRetried { retried }
  }
}
"""

UNKNOWN = "987654"


@dataclass
class World:
    """Tenant A's shop with its initial job (finished, one dead letter); tenant B's own shop."""

    a: httpx.AsyncClient
    b: httpx.AsyncClient
    a_viewer: httpx.AsyncClient
    shop_id: str
    job_id: str
    b_shop_id: str
    queue: RecordingQueue


def _connect_input(domain: str, token: str = "shpat_owner_token") -> dict[str, Any]:
    return {"input": {"domain": domain, "accessToken": token}}


@pytest.fixture
async def world(app: Starlette, database_url: str, queue: RecordingQueue) -> AsyncIterator[World]:
    a_token, b_token = token_for(database_url, "tenant-a"), token_for(database_url, "tenant-b")
    viewer = token_for(database_url, "tenant-a", role="viewer")
    async with (
        api_client(app, a_token) as a,
        api_client(app, b_token) as b,
        api_client(app, viewer) as a_viewer,
    ):
        connected = (await graphql(a, CONNECT, **_connect_input(A_DOMAIN)))["data"]
        shop_id = connected["connectShop"]["shop"]["id"]
        job_id = connected["connectShop"]["initialJob"]["id"]
        b_connected = (await graphql(b, CONNECT, **_connect_input(B_DOMAIN)))["data"]
        with psycopg.connect(database_url, autocommit=True) as conn:
            set_job(conn, int(job_id), status="COMPLETED", finished_at=datetime.now(UTC))
            conn.execute(
                "INSERT INTO dead_letters (job_id, shop_id, line_number, reason, line)"
                " VALUES (%s, %s, 1, 'bad', 'customer@alpha.example')",
                (int(job_id), int(shop_id)),
            )
            conn.execute(
                "INSERT INTO orders (shop_id, id, raw) VALUES (%s, 'gid://shopify/Order/1', '{}')",
                (int(shop_id),),
            )
            conn.execute(
                "INSERT INTO line_items (shop_id, id, order_id, raw)"
                " VALUES (%s, 'gid://shopify/LineItem/1', 'gid://shopify/Order/1', '{}')",
                (int(shop_id),),
            )
        yield World(
            a, b, a_viewer, shop_id, job_id, b_connected["connectShop"]["shop"]["id"], queue
        )


async def test_another_tenants_shops_jobs_and_dead_letters_do_not_exist_for_it(
    world: World,
) -> None:
    ids = {"shopId": world.shop_id, "jobId": world.job_id}
    theirs = (await graphql(world.b, READS, **ids))["data"]
    unknown = (await graphql(world.b, READS, shopId=UNKNOWN, jobId=UNKNOWN))["data"]
    mine = (await graphql(world.a, READS, **ids))["data"]

    assert theirs == unknown
    assert theirs["shop"] is None and theirs["syncJob"] is None
    assert theirs["shopJobs"] == [] and theirs["deadLetters"] == [] and theirs["orders"] == []
    assert theirs["shops"] == [{"id": world.b_shop_id, "domain": B_DOMAIN}]
    assert world.job_id not in {job["id"] for job in theirs["syncJobs"]}
    # Tenant A sees all of it.
    assert mine["shop"]["domain"] == A_DOMAIN
    assert mine["shops"] == [{"id": world.shop_id, "domain": A_DOMAIN}]
    assert [job["id"] for job in mine["syncJobs"]] == [world.job_id]
    assert [letter["line"] for letter in mine["deadLetters"]] == ["customer@alpha.example"]
    assert mine["syncJob"]["deadLetters"] == [{"line": "customer@alpha.example"}]
    assert mine["orders"] == [
        {"id": "gid://shopify/Order/1", "lineItems": [{"id": "gid://shopify/LineItem/1"}]}
    ]


async def test_another_tenant_cannot_start_cancel_or_retry_and_learns_nothing(
    world: World,
) -> None:
    enqueued = list(world.queue.enqueued)

    async def start(client: httpx.AsyncClient, shop_id: str) -> dict[str, Any]:
        body = await graphql(client, START, input={"shopId": shop_id, "syncMode": "FULL"})
        result: dict[str, Any] = body["data"]["startSyncJob"]
        return result

    async def run(client: httpx.AsyncClient, document: str, **variables: str) -> Any:
        return next(iter((await graphql(client, document, **variables))["data"].values()))

    started, unknown_start = await start(world.b, world.shop_id), await start(world.b, UNKNOWN)
    assert started == {**unknown_start, "message": f"no shop with id {world.shop_id}"}
    assert started["__typename"] == "ValidationError" and started["field"] == "shopId"

    cancelled = await run(world.b, CANCEL, id=world.job_id)
    assert cancelled == {**await run(world.b, CANCEL, id=UNKNOWN), "message": cancelled["message"]}
    assert cancelled == {
        "__typename": "ValidationError",
        "field": "id",
        "message": f"no sync job with id {world.job_id}",
    }
    retried = await run(world.b, RETRY, jobId=world.job_id)
    assert retried == {
        "__typename": "ValidationError",
        "field": "jobId",
        "message": f"no sync job with id {world.job_id}",
    }
    assert (await run(world.b, RETRY, jobId=UNKNOWN))["field"] == "jobId"

    # Nothing changed: no job queued, A's job and dead letter as they were.
    assert world.queue.enqueued == enqueued
    mine = (await graphql(world.a, READS, shopId=world.shop_id, jobId=world.job_id))["data"]
    assert mine["syncJob"]["status"] == "COMPLETED"
    assert len(mine["deadLetters"]) == 1
    assert (await run(world.a, RETRY, jobId=world.job_id))["__typename"] == "DeadLettersRetried"


async def test_another_tenant_cannot_connect_over_a_shop(
    world: World, database_url: str, verifier: FakeVerifier
) -> None:
    # Even with a token Shopify confirms is the shop's own.
    attempt = _connect_input(A_DOMAIN, "shpat_attacker_token")
    attempt["input"]["adminUrl"] = "http://127.0.0.1:9"  # the attacker's own "Shopify"
    taken = (await graphql(world.b, CONNECT, **attempt))["data"]["connectShop"]
    # A token of another shop gets the very same answer.
    verifier.owners["shpat_wrong_shop"] = "elsewhere.myshopify.com"
    wrong = _connect_input("charlie.myshopify.com", "shpat_wrong_shop")
    wrong_shop = (await graphql(world.b, CONNECT, **wrong))["data"]["connectShop"]

    assert taken == {
        "__typename": "ShopConnectionFailed",
        "code": "REFUSED",
        "message": f"{A_DOMAIN} cannot be connected with this access token",
    }
    assert {**wrong_shop, "message": wrong_shop["message"].replace("charlie", "alpha")} == taken
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            "SELECT domain, access_token_encrypted, admin_url FROM shops ORDER BY id"
        ).fetchall()
    rows = [(domain, TEST_CIPHER.decrypt(bytes(token)), url) for domain, token, url in stored]
    assert rows == [
        (A_DOMAIN, "shpat_owner_token", f"https://{A_DOMAIN}"),
        (B_DOMAIN, "shpat_owner_token", f"https://{B_DOMAIN}"),
    ]
    # The owner reconnects (a new token) as before.
    again = await graphql(world.a, CONNECT, **_connect_input(A_DOMAIN, "shpat_new_token"))
    assert again["data"]["connectShop"]["__typename"] == "ShopConnected"


async def test_a_token_of_another_shop_is_refused_on_first_connect_and_reconnect(
    world: World, database_url: str, verifier: FakeVerifier
) -> None:
    verifier.owners["shpat_store_x"] = "x-store.myshopify.com"
    first = await graphql(world.a, CONNECT, **_connect_input("new.myshopify.com", "shpat_store_x"))
    again = await graphql(world.a, CONNECT, **_connect_input(A_DOMAIN, "shpat_store_x"))

    assert first["data"]["connectShop"]["code"] == "REFUSED"
    assert again["data"]["connectShop"]["code"] == "REFUSED"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT domain, access_token_encrypted FROM shops ORDER BY id"
        ).fetchall()
    domains = [(domain, TEST_CIPHER.decrypt(bytes(token), shop_id=0)) for domain, token in rows]
    assert ("new.myshopify.com", "shpat_store_x") not in domains
    assert (A_DOMAIN, "shpat_owner_token") in domains


@pytest.mark.parametrize(
    "domain",
    [
        "shop.example.com",
        "evil.com@alpha.myshopify.com",
        "alpha.myshopify.com@evil.com",
        "alpha.myshopify.com#x",
        "alpha.myshopify.com?x=1",
        "alpha.myshopify.com:8443",
        "-alpha.myshopify.com",
        "alpha.myshopify.com.evil.com",
        "a.b.myshopify.com",
        "\u0430lpha.myshopify.com",  # a Cyrillic a
        "alpha.myshopify.com/admin",
    ],
)
async def test_only_myshopify_domains_connect(client: httpx.AsyncClient, domain: str) -> None:
    body = await graphql(client, CONNECT, **_connect_input(domain))
    result = body["data"]["connectShop"]
    assert (result["__typename"], result["field"]) == ("ValidationError", "domain")


async def test_domains_are_normalised_to_lower_case(client: httpx.AsyncClient) -> None:
    body = await graphql(client, CONNECT, **_connect_input(" HTTPS://Mixed-Case.MyShopify.com/ "))
    assert body["data"]["connectShop"]["shop"]["domain"] == "mixed-case.myshopify.com"


async def test_a_viewer_reads_but_cannot_mutate(world: World) -> None:
    enqueued = list(world.queue.enqueued)
    reads = await graphql(world.a_viewer, READS, shopId=world.shop_id, jobId=world.job_id)
    assert reads["data"]["shop"]["domain"] == A_DOMAIN

    mutations = [
        (CONNECT, _connect_input("viewer.myshopify.com")),
        (CONNECT, _connect_input(A_DOMAIN, "shpat_viewer_swap")),
        (START, {"input": {"shopId": world.shop_id}}),
        (CANCEL, {"id": world.job_id}),
        (RETRY, {"jobId": world.job_id}),
        (SET_ORDER_FIELDS, {"shopId": world.shop_id, "fields": "note"}),
    ]
    for document, variables in mutations:
        body = await graphql(world.a_viewer, document, **variables)
        assert body["data"] is None, body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", body
    assert world.queue.enqueued == enqueued
    mine = await graphql(world.a, READS, shopId=world.shop_id, jobId=world.job_id)
    assert mine["data"]["shops"] == [{"id": world.shop_id, "domain": A_DOMAIN}]
    assert len(mine["data"]["deadLetters"]) == 1


@pytest.fixture
def production(database_url: str, queue: RecordingQueue, verifier: FakeVerifier) -> Starlette:
    settings = ApiSettings(database_url=database_url, **PRODUCTION)
    return create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)


async def test_production_refuses_requests_without_a_valid_token(
    production: Starlette, database_url: str
) -> None:
    good = token_for(database_url, "tenant-a")
    revoked = token_for(database_url, "tenant-a")
    with local_services(ApiSettings(database_url=database_url)) as services:
        token_id = max(record.id for record in services.tokens.list(SYSTEM))
        assert services.tokens.revoke(SYSTEM, token_id)  # the last one issued: ``revoked``
    query = {"query": "{ shops { id } }"}
    refused_headers: list[dict[str, str]] = [
        {},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": "Bearer sst_garbage"},
        {"Authorization": "Bearer " + good[:-1]},
        {"Authorization": good},  # no scheme
        {"Authorization": f"Basic {good}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ]
    async with api_client(production, anonymous=True) as client:
        for headers in refused_headers:
            response = await client.post("/graphql", json=query, headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
        by_get = await client.get("/graphql", params=query)
        ok = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {good}"})
    assert ide.status_code == 401 and by_get.status_code == 401
    assert ok.status_code == 200 and ok.json() == {"data": {"shops": []}}


def test_production_refuses_to_start_with_auth_off(database_url: str) -> None:
    settings = ApiSettings(database_url=database_url, **PRODUCTION, auth_required=False)
    with pytest.raises(ValueError, match="AUTH_REQUIRED=false"):
        create_app(settings, queue=RecordingQueue(), verifier=FakeVerifier())
    no_verify = ApiSettings(database_url=database_url, **PRODUCTION, verify_shops=False)
    with pytest.raises(ValueError, match="VERIFY_SHOPS=false"):
        create_app(no_verify, queue=RecordingQueue())


async def test_development_without_auth_acts_as_the_development_tenant(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> None:
    settings = ApiSettings(database_url=database_url, auth_required=False)
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    other = token_for(database_url, "tenant-b")
    async with api_client(app, anonymous=True) as anonymous, api_client(app, other) as b:
        await graphql(anonymous, CONNECT, **_connect_input(A_DOMAIN))
        mine = await graphql(anonymous, "{ shops { domain } }")
        theirs = await graphql(b, "{ shops { domain } }")
        garbage = await anonymous.post(
            "/graphql", json={"query": "{ shops { id } }"}, headers={"Authorization": "Bearer x"}
        )
    assert mine["data"]["shops"] == [{"domain": A_DOMAIN}]
    assert theirs["data"]["shops"] == []
    assert garbage.status_code == 401  # a wrong token is never "anonymous"


# --- WebSocket -------------------------------------------------------------------------------


@pytest.fixture
def server(production: Starlette) -> Iterator[ApiServer]:
    with ApiServer(production) as running:
        yield running


@pytest.fixture
def shops_of_a_and_b(server: ApiServer, database_url: str) -> tuple[int, int, int, int]:
    """(A's shop, A's job, B's shop, B's job), connected through the use cases."""
    services = server.app.state.services
    a = services.tokens.ensure_tenant(SYSTEM, "tenant-a")
    b = services.tokens.ensure_tenant(SYSTEM, "tenant-b")
    made = []
    for tenant_id, domain in ((a, A_DOMAIN), (b, B_DOMAIN)):
        connected = services.shops.connect(
            Principal(tenant_id, Role.ADMIN),
            domain=domain,
            access_token="shpat_ws_token",
            api_version=None,
            admin_url=None,
        )
        made += [connected.shop.id, connected.initial_job.id]
    return made[0], made[1], made[2], made[3]


def test_websocket_refuses_a_missing_garbage_or_revoked_token(
    server: ApiServer, database_url: str
) -> None:
    revoked = server.issue_token()
    with local_services(ApiSettings(database_url=database_url)) as services:
        token_id = max(r.id for r in services.tokens.list(SYSTEM))
        assert services.tokens.revoke(SYSTEM, token_id)
    payloads: list[dict[str, Any]] = [
        {},
        {"Authorization": "Bearer sst_garbage"},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": 42},
    ]
    for payload in payloads:
        with connect(
            server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=5
        ) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # The legacy protocol: a connection_error, then the socket closes.
    with connect(server.ws_url, subprotocols=[Subprotocol("graphql-ws")], open_timeout=5) as ws:
        ws.send('{"type": "connection_init", "payload": {}}')
        assert '"connection_error"' in str(ws.recv(timeout=5))
    # Skipping connection_init: nothing is executed.
    with connect(
        server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=5
    ) as ws:
        ws.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "subscription '
            '{ syncJobEvents { id } }"}}'
        )
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_another_tenants_jobs_cannot_be_subscribed_to(
    server: ApiServer,
    conn: psycopg.Connection[Any],
    shops_of_a_and_b: tuple[int, int, int, int],
    protocol: str,
) -> None:
    a_shop, a_job, _, b_job = shops_of_a_and_b
    b_token = server.issue_token("tenant-b")
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    with graphql_ws(server, protocol, token=b_token) as b:

        def subscribe(op_id: str, query: str, **variables: Any) -> None:
            payload = {"query": query, "variables": variables}
            b.send({"id": op_id, "type": start, "payload": payload})

        subscribe("job", JOB_UPDATED, id=str(a_job))
        refused_job = _error_of(b, "job")
        subscribe("unknown", JOB_UPDATED, id=UNKNOWN)
        unknown_job = _error_of(b, "unknown")
        subscribe("shop", JOB_EVENTS, shopId=str(a_shop))
        refused_shop = _error_of(b, "shop")
        subscribe("all", JOB_EVENTS)
        # A's job changes, then B's: B hears only of its own.
        set_job(conn, a_job, status="RUNNING", lines_read=5, checkpoint_byte=50)
        set_job(conn, b_job, status="RUNNING", lines_read=1, checkpoint_byte=10)
        heard = _next_job_of(b, "all")

    assert refused_job == [f"no sync job with id '{a_job}'"]
    assert unknown_job == [f"no sync job with id '{UNKNOWN}'"]
    assert refused_shop == [f"no shop with id '{a_shop}'"]
    assert heard["id"] == str(b_job) and heard["status"] == "RUNNING"
    assert f'"id": "{a_job}"' not in " ".join(b.received)
    assert f'"id":"{a_job}"' not in " ".join(b.received).replace(" ", "")


def _error_of(client: GraphQLWS, op_id: str) -> list[str]:
    """The error messages the operation ended with (either protocol), skipping its completion."""
    while True:
        message = client.recv()
        if message.get("id") != op_id or message["type"] == "complete":
            continue
        payload = message["payload"]
        assert message["type"] in ("error", "data", "next"), message
        found = payload if isinstance(payload, list) else payload.get("errors") or [payload]
        return [error["message"] for error in found]


def _next_job_of(client: GraphQLWS, op_id: str) -> dict[str, Any]:
    """The next SyncJob pushed to the operation, skipping other operations' completions."""
    while True:
        message = client.recv()
        if message.get("id") == op_id:
            assert message["type"] in ("next", "data") and "errors" not in message["payload"]
            job: dict[str, Any] = next(iter(message["payload"]["data"].values()))
            return job
        assert message["type"] == "complete", message


async def test_a_shop_from_before_tenants_is_claimed_only_with_its_own_token(
    app: Starlette, database_url: str, conn: psycopg.Connection[Any], verifier: FakeVerifier
) -> None:
    legacy, _ = shops.upsert_shop(
        conn,
        domain=A_DOMAIN,
        access_token="shpat_legacy",
        api_version="2026-10",
        admin_url=f"https://{A_DOMAIN}",
        cipher=TEST_CIPHER,
    )
    verifier.owners["shpat_other_store"] = "other.myshopify.com"
    async with (
        api_client(app, token_for(database_url, "tenant-a")) as a,
        api_client(app, token_for(database_url, "tenant-b")) as b,
    ):
        unseen = await graphql(a, "query($id: ID!) { shop(id: $id) { id } }", id=str(legacy.id))
        wrong = await graphql(a, CONNECT, **_connect_input(A_DOMAIN, "shpat_other_store"))
        claimed = await graphql(a, CONNECT, **_connect_input(A_DOMAIN, "shpat_verified"))
        taken = await graphql(b, CONNECT, **_connect_input(A_DOMAIN, "shpat_verified_too"))
        seen = await graphql(a, "{ shops { id } }")

    assert unseen["data"]["shop"] is None
    assert wrong["data"]["connectShop"]["code"] == "REFUSED"
    assert claimed["data"]["connectShop"]["shop"]["id"] == str(legacy.id)
    assert taken["data"]["connectShop"]["code"] == "REFUSED"
    assert seen["data"]["shops"] == [{"id": str(legacy.id)}]


def test_system_only_use_cases_refuse_a_tenant(app: Starlette, database_url: str) -> None:
    with local_services(ApiSettings(database_url=database_url)) as services:
        tenant = Principal(services.tokens.ensure_tenant(SYSTEM, "tenant-a"), Role.ADMIN)
        calls = [
            lambda: services.tokens.create(tenant, tenant="tenant-b"),
            lambda: services.tokens.list(tenant),
            lambda: services.tokens.revoke(tenant, 1),
            lambda: services.jobs.wake_for_operation(
                tenant, "gid://shopify/BulkOperation/1", status="completed", webhook_id=None
            ),
            lambda: services.jobs.sweep_lost(tenant, grace_s=0, max_deliveries=5, limit=10),
        ]
        for call in calls:
            with pytest.raises(Forbidden):
                call()
        assert services.tokens.list(SYSTEM) == []


LETTER_IDS = "query($jobId: ID!) { deadLetters(jobId: $jobId) { id } }"
LETTER_LINE = "query($id: ID!) { deadLetterLine(id: $id) { text lineLength } }"


async def test_another_tenants_dead_letter_line_does_not_exist_for_it(world: World) -> None:
    [letter] = (await graphql(world.a, LETTER_IDS, jobId=world.job_id))["data"]["deadLetters"]
    mine = (await graphql(world.a, LETTER_LINE, id=letter["id"]))["data"]
    theirs = (await graphql(world.b, LETTER_LINE, id=letter["id"]))["data"]
    unknown = (await graphql(world.b, LETTER_LINE, id=UNKNOWN))["data"]

    assert mine == {"deadLetterLine": {"text": "customer@alpha.example", "lineLength": 22}}
    assert theirs == unknown == {"deadLetterLine": None}


async def test_another_tenants_shop_has_no_order_fields_to_set(world: World) -> None:
    async def set_fields(shop_id: str) -> Any:
        body = await graphql(world.b, SET_ORDER_FIELDS, shopId=shop_id, fields="poNumber")
        return body["data"]["setOrderFields"]

    theirs, unknown = await set_fields(world.shop_id), await set_fields(UNKNOWN)
    assert theirs == {**unknown, "message": f"no shop with id {world.shop_id}"}
    assert theirs["__typename"] == "ValidationError" and theirs["field"] == "shopId"
    body = await graphql(
        world.a, "query($id: ID!) { shop(id: $id) { orderFields } }", id=world.shop_id
    )
    assert body["data"]["shop"] == {"orderFields": None}
