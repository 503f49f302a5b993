"""Fault injection via the control API: failed/canceled/stuck ops, HTTP errors, download faults."""

from __future__ import annotations

import time

import httpx
import pytest

from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, RUN, SHOP, Api


def _fault(client: httpx.Client, **body: object) -> dict[str, object]:
    response = client.post("/_sim/faults", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


@pytest.mark.parametrize("code", ["ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT"])
def test_failed_operation_with_partial_data(client: httpx.Client, api: Api, code: str) -> None:
    _fault(client, kind="fail_operation", shop=SHOP, params={"error_code": code})
    op = api.wait(api.run()["bulkOperation"]["id"])
    assert op["status"] == "FAILED" and op["errorCode"] == code
    assert op["url"] is None and op["partialDataUrl"] is not None
    with httpx.Client() as plain:
        assert plain.get(op["partialDataUrl"]).status_code == 200


def test_unsolicited_cancel_and_stuck_created(client: httpx.Client, api: Api) -> None:
    _fault(client, kind="cancel_operation")
    assert api.wait(api.run()["bulkOperation"]["id"])["status"] == "CANCELED"
    _fault(client, kind="stuck_created")
    op = api.run()["bulkOperation"]
    time.sleep(0.2)
    assert api.poll(op["id"])["status"] == "CREATED"


def test_operation_scoped_fault(client: httpx.Client, api: Api) -> None:
    first = api.run()["bulkOperation"]
    api.wait(first["id"])
    _fault(client, kind="url_expired", operationId="gid://shopify/BulkOperation/1")
    url = api.poll(first["id"])["url"]
    with httpx.Client() as plain:
        assert plain.get(url).status_code == 200  # fault is for another operation


@pytest.mark.parametrize("status", [401, 402, 423, 429, 500, 502, 503, 504])
def test_http_status_faults(client: httpx.Client, api: Api, status: int) -> None:
    _fault(client, kind="http_status", params={"status": status}, count=2)
    for _ in range(2):
        response = api.post("{ shop { id } }")
        assert response.status_code == status
        if status == 429:
            assert response.headers["Retry-After"] == "4.0"
    assert api.post("{ shop { id } }").status_code == 200


def test_slow_and_forced_throttle(client: httpx.Client, api: Api) -> None:
    _fault(client, kind="slow", params={"delay": 0.3})
    started = time.monotonic()
    api.post("{ shop { id } }")
    assert time.monotonic() - started >= 0.3
    _fault(client, kind="throttled")
    body = api.gql("{ shop { id } }")
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" in api.gql("{ shop { id } }")


def test_download_faults(server: SimulatorServer, client: httpx.Client, api: Api) -> None:
    op = api.wait(api.run()["bulkOperation"]["id"])
    url, size = op["url"], int(op["fileSize"])
    with httpx.Client() as plain:
        _fault(client, kind="download_cut", params={"at_byte": 1000})
        with pytest.raises(httpx.RemoteProtocolError):
            plain.get(url)
        _fault(client, kind="download_reset")
        with pytest.raises(httpx.RemoteProtocolError):
            plain.get(url)
        _fault(client, kind="truncate_body", params={"missing_bytes": 10})
        with pytest.raises(httpx.RemoteProtocolError):
            plain.get(url)
        _fault(client, kind="ignore_range")
        ignored = plain.get(url, headers={"Range": "bytes=5-"})
        assert ignored.status_code == 200 and len(ignored.content) == size
        _fault(client, kind="url_expired")
        assert plain.get(url).status_code == 403
        assert plain.get(url).status_code == 200


def test_faults_list_and_clear(client: httpx.Client) -> None:
    _fault(client, kind="slow", params={"delay": 0.01}, count=None)
    listed = client.get("/_sim/faults").json()
    assert listed[0]["kind"] == "slow" and listed[0]["count"] is None
    assert client.post("/_sim/faults", json={"kind": "nope"}).status_code == 400
    assert client.delete("/_sim/faults").json() == []


@pytest.mark.parametrize("executed", [True, False])
def test_lose_answer_of_a_run(client: httpx.Client, api: Api, executed: bool) -> None:
    _fault(client, kind="lose_answer", params={"kind": "run", "status": 504, "executed": executed})
    assert api.post("{ shop { id } }").status_code == 200  # another kind: not consumed
    lost = api.post(RUN, {"q": ORDERS_QUERY})
    assert lost.status_code == 504 and "bulkOperation" not in lost.text
    ops = client.get("/_sim/operations", params={"shop": SHOP}).json()
    assert len(ops) == (1 if executed else 0)  # created, though the client never heard of it
    assert api.run()["bulkOperation"]["id"]  # consumed: the next run is answered
    logged = client.get("/_sim/requests", params={"shop": SHOP}).json()
    assert [r["fault"] for r in logged if r.get("fault")] == ["lose_answer"]


def test_lose_answer_is_validated(client: httpx.Client) -> None:
    bad = [{"status": 200}, {"status": 404}, {"kind": "nope"}]
    for params in bad:
        response = client.post("/_sim/faults", json={"kind": "lose_answer", "params": params})
        assert response.status_code == 400, params


@pytest.mark.parametrize("status", [204, 302, 408])
def test_download_status(client: httpx.Client, api: Api, status: int) -> None:
    url = api.wait(api.run()["bulkOperation"]["id"])["url"]
    _fault(client, kind="download_status", params={"status": status})
    with httpx.Client() as plain:
        odd = plain.get(url)
        assert odd.status_code == status and odd.content == b""
        assert ("location" in odd.headers) == (300 <= status < 400)
        assert plain.get(url).status_code == 200
    response = client.post(
        "/_sim/faults", json={"kind": "download_status", "params": {"status": 206}}
    )
    assert response.status_code == 400


def test_completed_without_url(client: httpx.Client, api: Api) -> None:
    _fault(client, kind="completed_without_url")
    op = api.wait(api.run()["bulkOperation"]["id"])
    assert op["status"] == "COMPLETED" and op["url"] is None and int(op["objectCount"]) > 0
    again = api.wait(api.run()["bulkOperation"]["id"])
    assert again["url"] is not None


def test_stuck_canceling(client: httpx.Client, api: Api) -> None:
    _fault(client, kind="stuck_canceling")
    op = api.run()["bulkOperation"]
    time.sleep(0.2)
    assert api.poll(op["id"])["status"] == "CANCELING"
    assert api.wait(api.run()["bulkOperation"]["id"])["status"] == "COMPLETED"  # used up
