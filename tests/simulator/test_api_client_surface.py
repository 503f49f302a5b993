"""Issue #10 items 4 and 5: what real clients call first (shop.json, access scopes), JSON error
bodies, and retired API versions (fall forward by default, or refused)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulator.config import ShopConfig, SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, SHOP, TOKEN, Api, make_config

INVALID = "[API] Invalid API key or access token (unrecognized login or wrong password)"
SCOPES = "{ currentAppInstallation { accessScopes { handle } } }"


def _client(server: SimulatorServer, token: str = TOKEN) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"X-Shopify-Access-Token": token}, timeout=10
    )


@pytest.fixture
def shipped() -> Iterator[SimulatorServer]:
    """The simulator as shipped: default version options (no legacy versions)."""
    shop = ShopConfig(domain=SHOP, access_token=TOKEN, orders=30, seed=3, plan="Advanced")
    with SimulatorServer(SimulatorConfig(shops=[shop], run_seconds=0.0)) as server:
        yield server


def test_shop_json_has_shopifys_shop_resource_shape(client: httpx.Client, api: Api) -> None:
    response = client.get("/admin/api/2026-04/shop.json")
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-04"
    shop = response.json()["shop"]
    keys = (
        "id name email domain province country address1 zip city phone primary_locale created_at "
        "updated_at country_code country_name currency customer_email timezone iana_timezone "
        "shop_owner money_format money_with_currency_format weight_unit province_code "
        "taxes_included plan_display_name plan_name has_discounts has_gift_cards "
        "myshopify_domain password_enabled enabled_presentment_currencies"
    )
    assert set(keys.split()) <= set(shop)
    assert isinstance(shop["id"], int) and shop["myshopify_domain"] == SHOP
    graphql_shop = api.gql("{ shop { id currencyCode } }")["data"]["shop"]
    assert graphql_shop["id"] == f"gid://shopify/Shop/{shop['id']}"
    assert graphql_shop["currencyCode"] == shop["currency"]


def test_shop_json_bad_or_missing_token_is_401_json(server: SimulatorServer) -> None:
    with _client(server, "shpat_wrong") as bad:
        response = bad.get("/admin/api/2026-04/shop.json")
    assert response.status_code == 401 and response.json() == {"errors": INVALID}
    response = httpx.get(f"{server.base_url}/admin/api/2026-04/shop.json")
    assert response.status_code == 401 and response.json() == {"errors": INVALID}


def test_access_scopes_default_and_configured(api: Api) -> None:
    body = api.gql(SCOPES)
    handles = [s["handle"] for s in body["data"]["currentAppInstallation"]["accessScopes"]]
    assert handles == ["read_orders", "read_all_orders"]
    config = make_config()
    config.shops[0].scopes = ("read_orders", "read_customers")
    with SimulatorServer(config) as server, _client(server) as client:
        for version in ("2025-01", "2026-10"):
            data = Api(client, version).gql(SCOPES)["data"]
            scopes = data["currentAppInstallation"]["accessScopes"]
            assert [s["handle"] for s in scopes] == ["read_orders", "read_customers"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/admin/api/2026-04/orders.json", 404),
        ("GET", "/nowhere", 404),
        ("POST", "/admin/api/2026-04/shop.json", 405),
        ("GET", "/admin/api/2026-04/graphql.json", 405),
    ],
)
def test_http_errors_have_json_bodies(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    expected = "Not Found" if status == 404 else "Method Not Allowed"
    assert response.json() == {"errors": expected}


def test_retired_version_falls_forward_by_default(shipped: SimulatorServer) -> None:
    """A client pinned to 2025-07 gets 2026-01: ungrouped results unless it asks for grouping."""
    with _client(shipped) as client:
        for path in ("graphql.json", "shop.json"):
            url = f"/admin/api/2025-07/{path}"
            response = (
                client.post(url, json={"query": "{ shop { id } }"})
                if path == "graphql.json"
                else client.get(url)
            )
            assert response.status_code == 200
            assert response.headers["X-Shopify-API-Version"] == "2026-01"
        api = Api(client, "2025-07")
        op = api.run(ORDERS_QUERY)["bulkOperation"]
        Api(client, "2026-04").wait(op["id"])
        (listed,) = [o for o in client.get("/_sim/operations").json() if o["id"] == op["id"]]
        assert listed["groupObjects"] is False and listed["apiVersion"] == "2026-01"
        # 2026-01 answers bulkOperation(id:), which 2025-07 itself never had.
        assert api.poll(op["id"])["status"] == "COMPLETED"


def test_legacy_versions_opt_in_answers_them_as_they_were(client: httpx.Client) -> None:
    response = Api(client, "2025-07").post("{ shop { id } }")
    assert response.headers["X-Shopify-API-Version"] == "2025-07"


def test_retired_versions_can_be_refused() -> None:
    with SimulatorServer(make_config(retired_versions="refuse")) as server, _client(server) as c:
        for response in (
            c.post("/admin/api/2024-10/graphql.json", json={"query": "{ shop { id } }"}),
            c.get("/admin/api/2024-10/shop.json"),
        ):
            assert response.status_code == 404 and response.json() == {"errors": "Not Found"}
        supported = c.post("/admin/api/2026-01/graphql.json", json={"query": "{ shop { id } }"})
        assert supported.status_code == 200
        legacy = c.post("/admin/api/2025-04/graphql.json", json={"query": "{ shop { id } }"})
        assert legacy.headers["X-Shopify-API-Version"] == "2025-04"
