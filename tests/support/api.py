"""What API tests share: fakes at our own ports, tokens, clients and GraphQL documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette

from api.settings import ApiSettings
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


class BrokenQueue:
    """A JobQueue whose broker is unreachable."""

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        raise RuntimeError("broker unreachable")


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


def token_for(database_url: str, tenant: str = "tenant-a", role: str = "admin") -> str:
    """A fresh API token of the tenant (created on first use)."""
    return issue_token(ApiSettings(database_url=database_url), tenant=tenant, role=role)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


SET_ORDER_FIELDS = """
mutation SetOrderFields($shopId: ID!, $fields: String) {
  setOrderFields(shopId: $shopId, fields: $fields) {
    __typename
    ... on OrderFieldsSet { shop { id orderFields } }
    ... on ValidationError { field message }
  }
}
"""
