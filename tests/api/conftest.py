"""API test fixtures: the app over real Postgres, with fakes at our own ports (queue, verifier).

Every client authenticates like a real one: with a token issued by ``shopsync token create``'s
use case (``issue_token``), tenant ``tenant-a`` unless a test asks for another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from bulk.config import Settings
from bulk.errors import AuthenticationError, ShopifyUnreachableError
from cli.services import issue_token
from service.ports import ShopCredentials

# Tokens the fake verifier treats specially; any other token is accepted.
REJECTED_TOKEN = "shpat_rejected_0000000000000000"
UNREACHABLE_TOKEN = "shpat_unreachable_000000000000"


@dataclass
class RecordingQueue:
    """A JobQueue that remembers what it was given."""

    enqueued: list[int] = field(default_factory=list)

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        self.enqueued.append(job_id)


@dataclass
class FakeVerifier:
    """A ShopVerifier that accepts every token but two, and records what it checked.

    A token is the connected domain's own unless ``owners`` names its shop.
    """

    checked: list[ShopCredentials] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)

    def __call__(self, credentials: ShopCredentials) -> str:
        self.checked.append(credentials)
        if credentials.access_token == REJECTED_TOKEN:
            # What a careless adapter might do: put the token in the message.
            raise AuthenticationError(f"401 for token {credentials.access_token}")
        if credentials.access_token == UNREACHABLE_TOKEN:
            raise ShopifyUnreachableError(f"connect failed ({credentials.access_token})")
        return self.owners.get(credentials.access_token, credentials.domain)


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
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="development")


@pytest.fixture
def app(settings: Settings, queue: RecordingQueue, verifier: FakeVerifier) -> Starlette:
    return create_app(settings, queue=queue, verifier=verifier, pool_max_size=4)


def token_for(database_url: str, tenant: str = "tenant-a", role: str = "admin") -> str:
    """A fresh API token of the tenant (created on first use)."""
    return issue_token(Settings(database_url=database_url), tenant=tenant, role=role)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_token(database_url: str) -> str:
    """An admin token of tenant-a: what ``client`` and the WebSocket helpers send."""
    return token_for(database_url)


@asynccontextmanager
async def api_client(
    app: Starlette, token: str | None = None, *, anonymous: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, inside its lifespan (ASGITransport does not run it), sending
    ``token`` (default: a new admin token of tenant-a; none at all if ``anonymous``)."""
    if token is None and not anonymous:
        token = token_for(app.state.settings.database_url)
    headers = {} if token is None else bearer(token)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://api.test", headers=headers
        ) as c,
    ):
        yield c


@pytest.fixture
async def client(app: Starlette, api_token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app, api_token) as c:
        yield c


async def graphql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST one operation; return the decoded body (``data`` and maybe ``errors``)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CONNECT = """
mutation Connect($input: ConnectShopInput!) {
  connectShop(input: $input) {
    __typename
    ... on ShopConnected {
      shop { id domain apiVersion adminUrl }
      initialJob { id shopId syncMode trigger status days jobType }
    }
    ... on ValidationError { field message }
    ... on ShopConnectionFailed { code message }
  }
}
"""

JOB_FIELDS = """
  id shopId jobType syncMode trigger status days staleAfterMins filterSince
  createdAt startedAt finishedAt error bulkOperationId bulkOperationStatus objectCount
  stats {
    linesRead ordersCreated ordersUpdated ordersUnchanged ordersSkipped
    lineItemsWritten lineItemsSkipped lineItemsDeleted failedLines bytesRead ordersDeleted
  }
"""

START = f"""
mutation Start($input: StartSyncJobInput!) {{
  startSyncJob(input: $input) {{
    __typename
    ... on SyncJobStarted {{ job {{ {JOB_FIELDS} }} }}
    ... on SyncJobAlreadyRunning {{ job {{ {JOB_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""


async def connect_shop(
    client: httpx.AsyncClient, domain: str = "demo.myshopify.com", token: str = "shpat_good_1"
) -> dict[str, Any]:
    """Connect a shop and return the ShopConnected payload."""
    body = await graphql(client, CONNECT, input={"domain": domain, "accessToken": token})
    result: dict[str, Any] = body["data"]["connectShop"]
    assert result["__typename"] == "ShopConnected", result
    return result
