"""Audit: fault bodies and scoping (per shop, per operation), CLI flags reaching the config."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import simulator.cli as sim_cli
from simulator.config import SimulatorConfig
from simulator.server import SimulatorServer
from tests.support.simulator_api import SHOP, TOKEN, Api

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


@pytest.mark.parametrize("status", [401, 402, 403, 404, 423, 429, 430, 500, 502, 503, 504])
def test_http_status_fault_bodies_have_string_errors(
    client: httpx.Client, api: Api, status: int
) -> None:
    client.post("/_sim/faults", json={"kind": "http_status", "params": {"status": status}})
    response = api.post("{ shop { id } }")
    assert response.status_code == status
    body = response.json()
    assert list(body) == ["errors"] and isinstance(body["errors"], str)
    if status == 401:
        assert body == {"errors": INVALID_TOKEN}
    assert ("retry-after" in response.headers) is (status == 429)
    assert response.headers["x-shopify-api-version"] == "2026-04"
    last = client.get("/_sim/requests").json()[-1]
    assert (last["status"], last["fault"]) == (status, "http_status")


def test_fault_scoped_to_another_shop_does_not_fire(client: httpx.Client, api: Api) -> None:
    other = {"kind": "http_status", "shop": "other.myshopify.com", "params": {"status": 503}}
    assert client.post("/_sim/faults", json=other).status_code == 201
    assert api.post("{ shop { id } }").status_code == 200
    mine = {"kind": "http_status", "shop": SHOP, "params": {"status": 503}}
    client.post("/_sim/faults", json=mine)
    assert api.post("{ shop { id } }").status_code == 503


def test_fault_scoped_to_one_operation_fires_only_for_it(client: httpx.Client, api: Api) -> None:
    first = api.wait(api.run()["bulkOperation"]["id"])
    second = api.wait(api.run()["bulkOperation"]["id"])
    body = {"kind": "url_expired", "operationId": first["id"], "count": None}
    assert client.post("/_sim/faults", json=body).status_code == 201
    with httpx.Client() as plain:
        assert plain.get(second["url"]).status_code == 200
        expired = plain.get(first["url"])
        assert expired.status_code == 403 and "<Code>AccessDenied</Code>" in expired.text
        assert plain.get(first["url"]).status_code == 403  # count null: forever
    faults = client.get("/_sim/faults").json()
    assert faults[0]["operationId"] == first["id"] and faults[0]["fired"] == 2


def test_fail_operation_scoped_to_a_running_operation(server: SimulatorServer) -> None:
    """An operation id is known once CREATED; a fault for it fires when it starts running."""
    server.config.created_seconds = 0.5
    with httpx.Client(
        base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}
    ) as client:
        api = Api(client)
        op = api.run()["bulkOperation"]
        client.post(
            "/_sim/faults",
            json={"kind": "fail_operation", "operationId": op["id"], "error_code": "TIMEOUT"},
        )
        other = api.run()["bulkOperation"]
        failed = api.wait(op["id"])
        assert failed["status"] == "FAILED" and failed["errorCode"] == "TIMEOUT"
        assert api.wait(other["id"])["status"] == "COMPLETED"


def test_cli_flags_and_faults_reach_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict[str, Any] = {}

    def fake_serve(config: SimulatorConfig, host: str, port: int) -> None:
        captured.update(config=config, host=host, port=port)

    monkeypatch.setattr(sim_cli, "serve", fake_serve)
    args = [
        "--port", "9999", "--orders", "50", "--seed", "3", "--shop-domain", "x.myshopify.com",
        "--access-token", "tok", "--scopes", "read_orders", "--plan", "Plus",
        "--run-seconds", "0", "--created-seconds", "0", "--layout", "adversarial",
        "--webhook-secret", "sec", "--url-lifetime-seconds", "60", "--no-range",
        "--no-expire-status", "--zero-file-size",
        "--fault", "http_status:status=503,count=2",
        "--fault", "download_cut:at_byte=100000,operationId=gid://shopify/BulkOperation/1",
    ]  # fmt: skip
    result = CliRunner().invoke(sim_cli.simulator_command, args)
    assert result.exit_code == 0, result.output
    config: SimulatorConfig = captured["config"]
    shop = config.shops[0]
    assert captured["port"] == 9999
    assert (shop.domain, shop.access_token, shop.scopes, shop.plan) == (
        "x.myshopify.com",
        "tok",
        ("read_orders",),
        "Plus",
    )
    assert (shop.orders, shop.seed, shop.read_all_orders) == (50, 3, False)
    assert (config.layout, config.webhook_secret, config.url_lifetime_seconds) == (
        "adversarial",
        "sec",
        60,
    )
    assert not config.honour_range and not config.expire_status
    assert not config.zero_result_file_size_null
    with SimulatorServer(config) as server:
        installed = [f.to_json() for f in server.simulator.faults.list()]
    assert [(f["kind"], f["count"], f["params"]) for f in installed] == [
        ("http_status", 2, {"status": 503}),
        ("download_cut", 1, {"at_byte": 100000}),
    ]
    assert installed[1]["operationId"] == "gid://shopify/BulkOperation/1"
