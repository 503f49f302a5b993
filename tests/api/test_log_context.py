"""The API's log lines keep their key-value context (``shop.connected`` names its shop), and a
refused connect is the client's business: an info line, no traceback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cli.log import configure_logging
from tests.support.api import CONNECT, REJECTED_TOKEN, connect_shop, graphql

pytestmark = pytest.mark.anyio


@pytest.mark.usefixtures("restore_logging")
async def test_connect_shop_lines_carry_their_context(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json=True)
    capfd.readouterr()
    connected = await connect_shop(client, token="shpat_good_1")
    refused = await graphql(
        client, CONNECT, input={"domain": "other.myshopify.com", "accessToken": REJECTED_TOKEN}
    )
    assert refused["data"]["connectShop"]["__typename"] == "ShopConnectionFailed"
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in capfd.readouterr().err.splitlines() if line.strip()
    ]

    [line] = [line for line in lines if line["event"] == "shop.connected"]
    assert line["shop_id"] == int(connected["shop"]["id"])
    assert line["domain"] == "demo.myshopify.com" and line["new"] is True
    [failed] = [line for line in lines if line["event"] == "shop.verification_failed"]
    assert failed["domain"] == "other.myshopify.com" and failed["level"] == "info"
    assert failed["error"] == "AuthenticationError" and "exception" not in failed
    assert not [line for line in lines if line["level"] in ("error", "critical")], lines
    assert REJECTED_TOKEN not in json.dumps(lines)
