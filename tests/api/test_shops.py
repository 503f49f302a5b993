"""connectShop, shop and shops through HTTP against real Postgres."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from tests.support.api import (
    CONNECT,
    REJECTED_TOKEN,
    UNREACHABLE_TOKEN,
    FakeVerifier,
    RecordingQueue,
    connect_shop,
    graphql,
)
from tests.support.token_keys import TEST_CIPHER

pytestmark = pytest.mark.anyio


async def test_connecting_a_new_shop_stores_it_and_enqueues_an_initial_populate(
    client: httpx.AsyncClient, queue: RecordingQueue, verifier: FakeVerifier
) -> None:
    result = await connect_shop(client, domain="Demo.MyShopify.com/", token="shpat_good_1")

    shop, job = result["shop"], result["initialJob"]
    assert shop["domain"] == "demo.myshopify.com"
    assert shop["apiVersion"] == "2026-10"
    assert shop["adminUrl"] == "https://demo.myshopify.com"
    assert shop["id"].isdigit()
    assert job == {
        "id": job["id"],
        "shopId": shop["id"],
        "syncMode": "POPULATE",
        "trigger": "INITIAL",
        "status": "QUEUED",
        "days": None,
        "jobType": "ORDERS",
    }
    assert queue.enqueued == [int(job["id"])]
    assert [c.domain for c in verifier.checked] == ["demo.myshopify.com"]


async def test_reconnecting_refreshes_credentials_without_a_new_job(
    client: httpx.AsyncClient, queue: RecordingQueue, conn: psycopg.Connection[Any]
) -> None:
    first = await connect_shop(client, token="shpat_old")
    body = await graphql(
        client,
        CONNECT,
        input={
            "domain": "demo.myshopify.com",
            "accessToken": "shpat_new",
            "apiVersion": "2026-07",
            "adminUrl": "http://127.0.0.1:9999/",
        },
    )
    again = body["data"]["connectShop"]

    assert again["__typename"] == "ShopConnected"
    assert again["shop"]["id"] == first["shop"]["id"]
    assert again["shop"]["apiVersion"] == "2026-07"
    assert again["shop"]["adminUrl"] == "http://127.0.0.1:9999"
    assert again["initialJob"] is None
    assert queue.enqueued == [int(first["initialJob"]["id"])]
    [(plain, encrypted)] = conn.execute(
        "SELECT access_token, access_token_encrypted FROM shops"
    ).fetchall()
    assert plain is None and TEST_CIPHER.decrypt(encrypted) == "shpat_new"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"domain": ""}, "domain"),
        ({"domain": "   "}, "domain"),
        ({"domain": "not a domain"}, "domain"),
        ({"domain": "nodots"}, "domain"),
        ({"accessToken": ""}, "accessToken"),
        ({"accessToken": "  "}, "accessToken"),
        ({"accessToken": "has space"}, "accessToken"),
        ({"apiVersion": "latest"}, "apiVersion"),
        ({"apiVersion": "2026-13"}, "apiVersion"),
        ({"apiVersion": "26-10"}, "apiVersion"),
        ({"adminUrl": "ftp://example.com"}, "adminUrl"),
        ({"adminUrl": "example.com"}, "adminUrl"),
        ({"adminUrl": "https://user:pw@example.com"}, "adminUrl"),
    ],
)
async def test_invalid_input_is_a_validation_error_naming_the_field(
    client: httpx.AsyncClient,
    queue: RecordingQueue,
    verifier: FakeVerifier,
    override: dict[str, str],
    field: str,
) -> None:
    payload = {"domain": "demo.myshopify.com", "accessToken": "shpat_good_1"} | override
    body = await graphql(client, CONNECT, input=payload)

    result = body["data"]["connectShop"]
    assert result["__typename"] == "ValidationError"
    assert result["field"] == field
    assert result["message"]
    assert queue.enqueued == []
    assert verifier.checked == []


async def test_unstable_api_version_is_accepted(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client,
        CONNECT,
        input={"domain": "demo.myshopify.com", "accessToken": "t", "apiVersion": "unstable"},
    )
    assert body["data"]["connectShop"]["shop"]["apiVersion"] == "unstable"


@pytest.mark.parametrize(
    ("token", "code"), [(REJECTED_TOKEN, "AUTHENTICATION"), (UNREACHABLE_TOKEN, "UNREACHABLE")]
)
async def test_shopify_refusing_the_token_stores_nothing(
    client: httpx.AsyncClient,
    queue: RecordingQueue,
    conn: psycopg.Connection[Any],
    token: str,
    code: str,
) -> None:
    body = await graphql(
        client, CONNECT, input={"domain": "demo.myshopify.com", "accessToken": token}
    )

    result = body["data"]["connectShop"]
    assert result["__typename"] == "ShopConnectionFailed"
    assert result["code"] == code
    assert "demo.myshopify.com" in result["message"]
    assert token not in result["message"]
    assert conn.execute("SELECT count(*) FROM shops").fetchone() == (0,)
    assert queue.enqueued == []


async def test_shop_and_shops_queries(client: httpx.AsyncClient) -> None:
    a = (await connect_shop(client, domain="a.myshopify.com"))["shop"]
    b = (await connect_shop(client, domain="b.myshopify.com"))["shop"]

    body = await graphql(
        client,
        """query ($id: ID!) {
             shop(id: $id) { id domain }
             missing: shop(id: "999999") { id }
             garbage: shop(id: "abc") { id }
             shops { id domain apiVersion }
           }""",
        id=b["id"],
    )

    assert "errors" not in body
    data = body["data"]
    assert data["shop"] == {"id": b["id"], "domain": "b.myshopify.com"}
    assert data["missing"] is None
    assert data["garbage"] is None
    assert [s["domain"] for s in data["shops"]] == ["a.myshopify.com", "b.myshopify.com"]
    assert data["shops"][0]["id"] == a["id"]


async def test_shop_type_has_no_token_field(client: httpx.AsyncClient) -> None:
    body = await graphql(client, '{ __type(name: "Shop") { fields { name } } }')
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert not {n for n in names if "token" in n.lower()}
