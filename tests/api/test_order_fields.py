"""setOrderFields over HTTP against the Shopify simulator: fields Shopify accepts are stored
(normalised) and shown on the shop; fields it refuses come back with its own message, at save
time; the local checks (syntax, size, aliases, bulk limits) need no call; the rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings
from bulk.order_selection import MAX_SELECTION_CHARS
from simulator.config import ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.api import CONNECT, SET_ORDER_FIELDS, RecordingQueue, api_client, graphql
from tests.support.shopify_sim import SHOP, TOKEN, sim_requests

pytestmark = pytest.mark.anyio

DOMAIN = SHOP  # sim_requests reads this shop's request log
FULFILMENTS = "fulfillments { service { serviceName } location { name } }"


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(shops=[ShopConfig(domain=DOMAIN, access_token=TOKEN, orders=3)])
    with SimulatorServer(config) as server:
        yield server


async def _client(
    database_url: str, queue: RecordingQueue, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        ApiSettings(database_url=database_url, http_timeout_s=5.0, **settings), queue=queue
    )
    async with api_client(app) as client:
        yield client


@pytest.fixture
async def client(database_url: str, queue: RecordingQueue) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(database_url, queue):
        yield c


async def _connect(client: httpx.AsyncClient, simulator: SimulatorServer) -> str:
    body = await graphql(
        client,
        CONNECT,
        input={"domain": DOMAIN, "accessToken": TOKEN, "adminUrl": simulator.base_url},
    )
    assert body["data"]["connectShop"]["__typename"] == "ShopConnected", body
    shop_id: str = body["data"]["connectShop"]["shop"]["id"]
    return shop_id


async def _set(client: httpx.AsyncClient, shop_id: str, fields: str | None) -> dict[str, Any]:
    body = await graphql(client, SET_ORDER_FIELDS, shopId=shop_id, fields=fields)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["setOrderFields"]
    return result


async def test_fields_shopify_accepts_are_stored_and_shown(
    simulator: SimulatorServer, client: httpx.AsyncClient
) -> None:
    shop_id = await _connect(client, simulator)
    before = len(sim_requests(simulator))
    result = await _set(client, shop_id, f"  {FULFILMENTS}\n  customAttributes {{ key value }} ")
    normalised = f"{FULFILMENTS} customAttributes {{ key value }}"
    assert result == {
        "__typename": "OrderFieldsSet",
        "shop": {"id": shop_id, "orderFields": normalised},
    }
    # Shopify was asked once (a plain orders query selecting them).
    assert [r["kind"] for r in sim_requests(simulator)[before:]] == ["query"]
    body = await graphql(client, "query($id: ID!) { shop(id: $id) { orderFields } }", id=shop_id)
    assert body["data"]["shop"]["orderFields"] == normalised
    # Null removes them.
    assert (await _set(client, shop_id, None))["shop"]["orderFields"] is None


async def test_fields_shopify_refuses_come_back_with_its_message_and_are_not_stored(
    simulator: SimulatorServer, client: httpx.AsyncClient
) -> None:
    shop_id = await _connect(client, simulator)
    await _set(client, shop_id, "note")
    result = await _set(client, shop_id, "additionalFees { name } noSuchField")
    assert result["__typename"] == "ValidationError" and result["field"] == "fields"
    assert result["message"].startswith("Shopify refused the fields: ")
    assert "Field 'noSuchField' doesn't exist on type 'Order'" in result["message"]
    body = await graphql(client, "query($id: ID!) { shop(id: $id) { orderFields } }", id=shop_id)
    assert body["data"]["shop"]["orderFields"] == "note"


METAFIELDS = "metafields { edges { node { id namespace key value type } } }"


async def test_an_added_connection_is_checked_with_a_page_size_and_stored_without(
    simulator: SimulatorServer, client: httpx.AsyncClient
) -> None:
    shop_id = await _connect(client, simulator)
    before = len(sim_requests(simulator))
    result = await _set(client, shop_id, f"note {METAFIELDS}")
    assert result == {
        "__typename": "OrderFieldsSet",
        "shop": {"id": shop_id, "orderFields": f"note {METAFIELDS}"},
    }
    # A regular query needs first/last on a connection (Shopify's "you must provide one of
    # first or last" otherwise): the check adds first: 1, the bulk query does without.
    (probe,) = sim_requests(simulator)[before:]
    assert probe["kind"] == "query"
    # Its own first/last are kept; namespace stays beside first: 1.
    for fields in (
        "metafields(last: 2) { edges { node { id key } } }",
        'metafields(namespace: "custom") { edges { node { id key jsonValue } } }',
    ):
        assert (await _set(client, shop_id, fields))["__typename"] == "OrderFieldsSet"


async def test_an_added_connection_s_unknown_subfield_comes_back_with_shopify_s_message(
    simulator: SimulatorServer, client: httpx.AsyncClient
) -> None:
    shop_id = await _connect(client, simulator)
    result = await _set(client, shop_id, "metafields { edges { node { id colour } } }")
    assert result["__typename"] == "ValidationError" and result["field"] == "fields"
    assert result["message"] == (
        "Shopify refused the fields: Field 'colour' doesn't exist on type 'Metafield'"
    ), result


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("metafields(first: 5) { edges { node { key }", "not a GraphQL selection"),
        ("x" * (MAX_SELECTION_CHARS + 1), "characters long"),
        ("a " + "{ b " * 20 + "}" * 20, "nest deeper"),
        ("updatedAt: createdAt", "aliases are not supported"),
        ("...F", "named fragments"),
        ("metafields { nodes { key } }", "'edges' > 'node'"),
        (
            "metafields(first: 5) { edges { node { key } } }",
            "must select the id of their nodes (metafields)",
        ),
        (
            "lineItems { edges { node { id metafields { edges { node { id } } } } } }",
            "nesting depth greater than 2",  # its nodes' parents would be line items
        ),
        (
            " ".join(f"m{n}: metafields {{ edges {{ node {{ id }} }} }}" for n in range(4)),
            "aliases",
        ),
        (
            " ".join(
                f"{name} {{ edges {{ node {{ id }} }} }}"
                for name in ("metafields", "shippingLines", "discountApplications", "events")
            ),
            "more than 5 connections",
        ),
    ],
)
async def test_local_checks_refuse_without_asking_shopify(
    simulator: SimulatorServer, client: httpx.AsyncClient, fields: str, message: str
) -> None:
    shop_id = await _connect(client, simulator)
    before = len(sim_requests(simulator))
    result = await _set(client, shop_id, fields)
    assert result["__typename"] == "ValidationError" and result["field"] == "fields"
    assert message in result["message"], result
    assert len(sim_requests(simulator)) == before


async def test_a_shop_and_the_deployment_fields_are_checked_together(
    simulator: SimulatorServer, database_url: str, queue: RecordingQueue
) -> None:
    deployment = "poNumber transactions(first: 3) { id kind }"
    async for client in _client(database_url, queue, extra_order_fields=deployment):
        shop_id = await _connect(client, simulator)
        assert (await _set(client, shop_id, "returnStatus"))["__typename"] == "OrderFieldsSet"
        # Together with the deployment's: Shopify sees both, and GraphQL refuses to merge
        # one field selected with two different arguments.
        result = await _set(client, shop_id, "transactions(first: 1) { gateway }")
        assert result["__typename"] == "ValidationError", result
        assert result["message"].startswith("Shopify refused the fields: "), result


async def test_each_tenant_has_its_own_budget_of_order_field_changes(
    simulator: SimulatorServer, database_url: str, queue: RecordingQueue
) -> None:
    async for client in _client(database_url, queue, set_order_fields_per_minute=2):
        shop_id = await _connect(client, simulator)
        answers = [
            await graphql(client, SET_ORDER_FIELDS, shopId=shop_id, fields="note") for _ in range(3)
        ]
        codes = [[e["extensions"]["code"] for e in body.get("errors") or []] for body in answers]
        assert codes == [[], [], ["LIMIT_EXCEEDED"]]
