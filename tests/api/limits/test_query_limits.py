"""Depth, alias, token and cost limits refuse a document before any resolver runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings
from tests.support.api import FakeVerifier, RecordingQueue, api_client, graphql

pytestmark = pytest.mark.anyio


@pytest.fixture
async def limited(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApiSettings(
        database_url=database_url,
        graphql_max_depth=3,
        graphql_max_aliases=2,
        graphql_max_tokens=60,
        graphql_max_cost=100,
    )
    app = create_app(settings, queue=queue, verifier=verifier)
    async with api_client(app) as c:
        yield c


def _refused(body: dict[str, Any], words: str) -> None:
    assert body.get("data") is None, body
    assert words in " ".join(error["message"] for error in body["errors"]), body


async def test_depth_limit(limited: httpx.AsyncClient) -> None:
    ok = await graphql(limited, "{ syncJobs { stats { linesRead } } }")
    assert ok == {"data": {"syncJobs": []}}

    body = await graphql(
        limited,
        "mutation { retryDeadLetters(jobId: 1) { ... on DeadLettersRetried "
        "{ job { deadLetters { id } } } } }",
    )
    _refused(body, "query depth 4 exceeds the limit of 3")


async def test_alias_limit(limited: httpx.AsyncClient) -> None:
    jobs = "syncJobs(first: 1) { id }"
    assert "errors" not in await graphql(limited, f"{{ a: {jobs} b: {jobs} }}")

    body = await graphql(limited, f"{{ a: {jobs} b: {jobs} c: {jobs} }}")
    _refused(body, "3 aliases exceed the limit of 2")


async def test_token_limit(limited: httpx.AsyncClient) -> None:
    body = await graphql(limited, "{ shops { " + "id " * 80 + "} }")
    _refused(body, "more than 60 tokens")


async def test_cost_limit_counts_first_literals_variables_and_defaults(
    limited: httpx.AsyncClient,
) -> None:
    # 10 jobs x (1 + 5 dead letters) = 60 objects: under the budget of 100.
    cheap = "{ syncJobs(first: 10) { id deadLetters(first: 5) { id } } }"
    assert await graphql(limited, cheap) == {"data": {"syncJobs": []}}

    # 10 x (1 + 50 by default) = 510.
    body = await graphql(limited, "{ syncJobs(first: 10) { id deadLetters { id } } }")
    _refused(body, "query cost 510 exceeds the limit of 100")
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED"}

    query = "query($n: Int) { syncJobs(first: $n) { id deadLetters(first: 5) { id } } }"
    assert "errors" not in await graphql(limited, query, n=16)
    _refused(await graphql(limited, query, n=17), "query cost 102 exceeds the limit of 100")


async def test_limits_follow_fragments(limited: httpx.AsyncClient) -> None:
    query = """
    query { syncJobs(first: 20) { ...J } }
    fragment J on SyncJob { id deadLetters(first: 9) { id } }
    """
    _refused(await graphql(limited, query), "query cost 200 exceeds the limit of 100")
    aliased = """
    query { syncJobs(first: 1) { ...A ...B } }
    fragment A on SyncJob { a: id b: id }
    fragment B on SyncJob { ...A }
    """
    _refused(await graphql(limited, aliased), "4 aliases exceed the limit of 2")


async def test_fragments_spreading_each_other_twice_are_refused_fast(
    client: httpx.AsyncClient,
) -> None:
    """2^40 expansions in 400 tokens: measured once per fragment, not once per expansion."""
    fragments = " ".join(
        f"fragment F{n} on SyncJob {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 41)
    )
    query = (
        f"{{ syncJobs(first: 1) {{ ...F40 }} }} fragment F0 on SyncJob {{ jobs: id }} {fragments}"
    )
    _refused(await graphql(client, query), f"{2**40} aliases exceed the limit of 15")


async def test_default_limits_let_introspection_and_ordinary_queries_through(
    client: httpx.AsyncClient,
) -> None:
    from graphql import get_introspection_query

    body = await graphql(client, get_introspection_query(descriptions=True))
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"
