"""Streaming result files from the simulator's signed URLs: Range resume and every fault."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest

from bulk.download import open_result, url_expired
from bulk.errors import DownloadInterruptedError, ResultUrlExpiredError
from bulk.orders_query import build_orders_query
from bulk.shopify import BulkOperation, BulkOperationStatus, ShopifyClient, ShopifyEndpoint
from bulk.types import SyncMode
from simulator.server import SimulatorServer
from tests.support.shopify_sim import DEV_POLICY, TOKEN, add_fault, sim_config


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(sim_config(60)) as srv:
        yield srv


@pytest.fixture(scope="module")
def completed(server: SimulatorServer) -> BulkOperation:
    endpoint = ShopifyEndpoint(server.base_url, "2026-04", TOKEN)
    with ShopifyClient(endpoint, policy=DEV_POLICY) as client:
        op = client.run_bulk_query(build_orders_query(SyncMode.FULL, None), group_objects=False)
        for _ in range(200):
            current = client.get_bulk_operation(op.id)
            assert current is not None
            if current.status is BulkOperationStatus.COMPLETED:
                assert current.url and current.file_size
                return current
            time.sleep(0.02)
    raise AssertionError("operation did not complete")


@pytest.fixture(autouse=True)
def _clear_faults(server: SimulatorServer) -> Iterator[None]:
    yield
    httpx.delete(f"{server.base_url}/_sim/faults").raise_for_status()


@pytest.fixture(scope="module")
def whole_file(completed: BulkOperation) -> bytes:
    assert completed.url is not None
    with open_result(completed.url, file_size=completed.file_size, policy=DEV_POLICY) as chunks:
        data = b"".join(chunks)
    assert len(data) == completed.file_size
    return data


def _read(op: BulkOperation, offset: int = 0) -> bytes:
    assert op.url is not None
    with open_result(op.url, offset=offset, file_size=op.file_size, policy=DEV_POLICY) as chunks:
        return b"".join(chunks)


def test_resume_from_an_offset_uses_range(
    server: SimulatorServer, completed: BulkOperation, whole_file: bytes
) -> None:
    assert _read(completed, 12_345) == whole_file[12_345:]
    assert _read(completed, len(whole_file)) == b""


def test_range_ignored_skips_locally(
    server: SimulatorServer, completed: BulkOperation, whole_file: bytes
) -> None:
    add_fault(server, "ignore_range")
    assert _read(completed, 5_000) == whole_file[5_000:]


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("download_cut", {"at_byte": 20_000}),
        ("download_reset", {}),
        ("truncate_body", {"missing_bytes": 100}),
    ],
)
def test_broken_downloads_are_interruptions_after_the_bytes_that_came(
    server: SimulatorServer,
    completed: BulkOperation,
    whole_file: bytes,
    kind: str,
    params: dict[str, Any],
) -> None:
    add_fault(server, kind, params=params)
    received = bytearray()
    assert completed.url is not None
    with (
        pytest.raises(DownloadInterruptedError) as info,
        open_result(completed.url, file_size=completed.file_size, policy=DEV_POLICY) as chunks,
    ):
        for chunk in chunks:
            received += chunk
    assert whole_file.startswith(bytes(received))
    if kind == "download_cut":
        assert len(received) == 20_000
    assert "Signature" not in str(info.value) and "http" not in str(info.value)


def test_expired_url_answer(server: SimulatorServer, completed: BulkOperation) -> None:
    add_fault(server, "url_expired")
    with pytest.raises(ResultUrlExpiredError, match="403") as info:
        _read(completed)
    assert "Signature" not in str(info.value)


def test_expired_url_is_known_without_asking() -> None:
    url = "http://127.0.0.1:1/x?Expires=1000&Signature=abc"
    assert url_expired(url) and not url_expired("http://h/x?Expires=99999999999")
    with pytest.raises(ResultUrlExpiredError), open_result(url, policy=DEV_POLICY):
        pass


def _wsgi(body: bytes, headers: list[tuple[str, str]]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def test_gzip_encoded_result_is_decoded_transparently() -> None:
    raw = b'{"id":"gid://shopify/Order/1"}\n' * 100
    packed = gzip.compress(raw)
    app = _wsgi(packed, [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))])
    with (
        httpx.Client(transport=httpx.WSGITransport(app=app)) as client,
        open_result("http://result.test/file.jsonl", client=client, file_size=len(raw)) as chunks,
    ):
        assert b"".join(chunks) == raw


def test_a_file_longer_than_its_file_size_is_read_to_the_stream_end(
    completed: BulkOperation, whole_file: bytes
) -> None:
    assert completed.url is not None
    size = len(whole_file)
    for offset, hint in [(size - 100, size - 100), (size - 100, size - 300), (0, size - 300)]:
        with open_result(completed.url, offset=offset, file_size=hint, policy=DEV_POLICY) as chunks:
            assert b"".join(chunks) == whole_file[offset:], (offset, hint)
