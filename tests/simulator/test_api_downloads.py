"""Result downloads: signed URLs, expiry, Range, 403 XML bodies."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from simulator.server import SimulatorServer
from tests.support.simulator_api import TOKEN, Api, make_config


def _completed(api: Api) -> dict[str, str]:
    return api.wait(api.run()["bulkOperation"]["id"])


def test_signed_url_expiry_is_completed_at_plus_7_days_and_stable(api: Api) -> None:
    op = _completed(api)
    query = parse_qs(urlsplit(op["url"]).query)
    completed = datetime.fromisoformat(op["completedAt"].replace("Z", "+00:00"))
    assert int(query["Expires"][0]) == int((completed + timedelta(days=7)).timestamp())
    assert api.poll(op["id"])["url"] == op["url"]  # re-polling does not move it


def test_range_requests(api: Api) -> None:
    op = _completed(api)
    size = int(op["fileSize"])
    with httpx.Client() as plain:
        full = plain.get(op["url"]).content
        tail = plain.get(op["url"], headers={"Range": "bytes=100-"})
        middle = plain.get(op["url"], headers={"Range": "bytes=10-19"})
    assert tail.status_code == 206
    assert tail.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    assert tail.content == full[100:]
    assert middle.status_code == 206 and middle.content == full[10:20]
    assert middle.headers["content-type"] == "application/jsonl"


def test_range_can_be_ignored_by_config() -> None:
    with (
        SimulatorServer(make_config(honour_range=False)) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as client,
    ):
        op = _completed(Api(client))
        with httpx.Client() as plain:
            response = plain.get(op["url"], headers={"Range": "bytes=10-"})
        assert response.status_code == 200
        assert len(response.content) == int(op["fileSize"])


def test_bad_signature_and_expired_url_are_403_xml(
    server: SimulatorServer, api: Api, client: httpx.Client
) -> None:
    op = _completed(api)
    tampered = op["url"].replace("Signature=", "Signature=x")
    with httpx.Client() as plain:
        bad = plain.get(tampered)
        assert bad.status_code == 403
        assert bad.headers["content-type"].startswith("application/xml")
        assert "<Code>SignatureDoesNotMatch</Code>" in bad.text
        client.post("/_sim/clock", json={"advance_seconds": 8 * 86400})
        expired = plain.get(op["url"])
    assert expired.status_code == 403
    assert "<Error><Code>AccessDenied</Code>" in expired.text
    assert "expired" in expired.text
