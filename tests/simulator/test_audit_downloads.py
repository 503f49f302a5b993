"""Audit: JSONL layouts chosen over the API, download headers, Range and download faults."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from simulator.server import SimulatorServer
from tests.support.simulator_api import ORDERS_QUERY, TOKEN, Api, make_config

RUN_GROUPED = (
    "mutation($q: String!, $g: Boolean!) { bulkOperationRunQuery(query: $q, groupObjects: $g) "
    "{ bulkOperation { id } userErrors { message } } }"
)


def _rows(url: str) -> list[dict[str, Any]]:
    with httpx.Client() as plain:
        response = plain.get(url)
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


def _shape(rows: list[dict[str, Any]]) -> tuple[bool, int, int]:
    """(every child directly under its parent, children before parent, children after parent)."""
    position = {r["id"]: i for i, r in enumerate(rows) if "__parentId" not in r}
    adjacent, before, after = True, 0, 0
    current = None
    for i, row in enumerate(rows):
        if "__parentId" not in row:
            current = row["id"]
            continue
        adjacent &= row["__parentId"] == current
        if i < position[row["__parentId"]]:
            before += 1
        else:
            after += 1
    return adjacent, before, after


def _export(api: Api, group: bool | None) -> list[dict[str, Any]]:
    if group is None:
        op = api.run()["bulkOperation"]
    else:
        payload = api.gql(RUN_GROUPED, {"q": ORDERS_QUERY, "g": group})
        op = payload["data"]["bulkOperationRunQuery"]["bulkOperation"]
    poller = Api(api.client)  # bulkOperation(id:) exists from 2026-01 only
    return _rows(poller.wait(op["id"])["url"])


def test_group_objects_true_gives_adjacent_children(api: Api) -> None:
    adjacent, before, after = _shape(_export(api, True))
    assert adjacent and before == 0 and after > 0


def test_defaults_grouped_before_2026_01_and_interleaved_from_2026_01(
    client: httpx.Client,
) -> None:
    assert _shape(_export(Api(client, "2025-07"), None))[0]  # default true
    assert _shape(_export(Api(client, "2025-04"), None))[0]  # no argument: grouped
    adjacent, _, after = _shape(_export(Api(client, "2026-01"), None))  # default false
    assert not adjacent and after > 0
    adjacent, _, _ = _shape(_export(Api(client, "2026-04"), False))
    assert not adjacent


@pytest.mark.parametrize(("layout", "expect_before"), [("ungrouped", False), ("adversarial", True)])
def test_configured_ungrouped_layouts(layout: str, expect_before: bool) -> None:
    config = make_config(ungrouped_layout=layout)
    with (
        SimulatorServer(config) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Shopify-Access-Token": TOKEN}) as c,
    ):
        rows = _export(Api(c), False)
    adjacent, before, after = _shape(rows)
    assert not adjacent and after > 0
    assert (before > 0) is expect_before
    roots = [r["createdAt"] for r in rows if "__parentId" not in r]
    assert len(roots) == 200


def test_download_headers_and_unsatisfiable_range(api: Api) -> None:
    op = api.wait(api.run()["bulkOperation"]["id"])
    number = op["id"].rsplit("/", 1)[-1]
    assert "response-content-type=application%2Fjsonl" in op["url"]
    with httpx.Client() as plain:
        full = plain.get(op["url"])
        beyond = plain.get(op["url"], headers={"Range": f"bytes={int(op['fileSize']) + 5}-"})
    assert full.headers["content-type"] == "application/jsonl"
    assert full.headers["content-length"] == op["fileSize"] == str(len(full.content))
    assert full.headers["content-disposition"] == f'attachment; filename="bulk-{number}.jsonl"'
    assert full.headers["accept-ranges"] == "bytes"
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{op['fileSize']}"


def test_download_cut_stops_at_exactly_n_bytes(server: SimulatorServer, api: Api) -> None:
    op = api.wait(api.run()["bulkOperation"]["id"])
    server.simulator.faults.add("download_cut", operation_id=op["id"], params={"at_byte": 1234})
    received = bytearray()
    with (
        httpx.Client() as plain,
        pytest.raises(httpx.RemoteProtocolError),
        plain.stream("GET", op["url"]) as response,
    ):
        assert response.headers["content-length"] == op["fileSize"]
        for chunk in response.iter_raw():
            received.extend(chunk)
    assert len(received) == 1234
    with httpx.Client() as plain:
        resumed = plain.get(op["url"], headers={"Range": "bytes=1234-"})
        full = plain.get(op["url"]).content
    assert resumed.status_code == 206 and bytes(received) + resumed.content == full
