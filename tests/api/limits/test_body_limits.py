"""Request bodies past their limit are refused with 413 before they are parsed or verified."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue, api_client

pytestmark = pytest.mark.anyio

LIMIT = 4096
CHUNK = 1024


@dataclass
class Chunks:
    """A body without Content-Length: ``count`` chunks of CHUNK bytes, noting how many were read."""

    count: int
    read: int = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.read += 1
            yield b" " * CHUNK


@pytest.fixture
async def limited(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApiSettings(
        database_url=database_url,
        webhook_secret=SecretStr("shpss_limits"),
        graphql_max_body_bytes=LIMIT,
        webhook_max_body_bytes=LIMIT,
    )
    app = create_app(settings, queue=queue, verifier=verifier)
    async with api_client(app) as c:
        yield c


def _padded_query(size: int) -> bytes:
    """A valid query document padded with whitespace to ``size`` bytes of JSON."""
    body = json.dumps({"query": "{ shops { id } }"}).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


@pytest.mark.parametrize("path", ["/graphql", "/webhooks/shopify"])
async def test_a_body_over_the_limit_is_413(limited: httpx.AsyncClient, path: str) -> None:
    response = await limited.post(
        path, content=_padded_query(LIMIT + 1), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_body_at_the_limit_is_served(limited: httpx.AsyncClient) -> None:
    response = await limited.post(
        "/graphql", content=_padded_query(LIMIT), headers={"content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"shops": []}}


@pytest.mark.parametrize("path", ["/graphql", "/webhooks/shopify"])
async def test_a_chunked_body_is_cut_off_at_the_limit(
    limited: httpx.AsyncClient, path: str
) -> None:
    body = Chunks(count=1000)  # 1 MB offered, never read whole

    response = await limited.post(path, content=body, headers={"content-type": "application/json"})

    assert response.status_code == 413, response.text
    assert "content-length" not in response.request.headers
    # Reading stopped at the first chunk past the limit.
    assert body.read == LIMIT // CHUNK + 1
