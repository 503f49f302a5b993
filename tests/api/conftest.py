"""API test fixtures: the app over real Postgres, with fakes at our own ports (queue, verifier).

Every client authenticates like a real one: with a token issued by ``shopsync token create``'s
use case (``issue_token``), tenant ``tenant-a`` unless a test asks for another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue, api_client, token_for


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def verifier() -> FakeVerifier:
    return FakeVerifier()


@pytest.fixture
def settings(database_url: str) -> ApiSettings:
    return ApiSettings(database_url=database_url, environment="development")


@pytest.fixture
def app(settings: ApiSettings, queue: RecordingQueue, verifier: FakeVerifier) -> Starlette:
    return create_app(settings, queue=queue, verifier=verifier, pool_max_size=4)


@pytest.fixture
def api_token(database_url: str) -> str:
    """An admin token of tenant-a: what ``client`` and the WebSocket helpers send."""
    return token_for(database_url)


@pytest.fixture
async def client(app: Starlette, api_token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app, api_token) as c:
        yield c
