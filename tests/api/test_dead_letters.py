"""deadLetters and retryDeadLetters through HTTP against real Postgres, after a real ingest."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest

from bulk.ingest import Checkpoint, Ingestor
from bulk.types import SyncMode
from tests.support.api import JOB_FIELDS, START, connect_shop, graphql
from tests.support.token_keys import TEST_CIPHER

pytestmark = pytest.mark.anyio

Conn = psycopg.Connection[Any]

LETTER_FIELDS = (
    "id jobId lineNumber byteOffset reason line createdAt retriedAt resolvedAt resolution"
)

DEAD_LETTERS = f"""
query Letters($jobId: ID!, $first: Int, $includeResolved: Boolean) {{
  deadLetters(jobId: $jobId, first: $first, includeResolved: $includeResolved) {{
    {LETTER_FIELDS}
  }}
}}
"""

JOB_LETTERS = f"""
query JobLetters($id: ID!, $includeResolved: Boolean) {{
  syncJob(id: $id) {{
    stats {{ failedLines }}
    deadLetters(includeResolved: $includeResolved) {{ {LETTER_FIELDS} }}
  }}
}}
"""

JOB_LETTERS_FIRST = (
    "query($id: ID!, $first: Int) { syncJob(id: $id) { deadLetters(first: $first) { id } } }"
)

RETRY = f"""
mutation Retry($jobId: ID!) {{
  retryDeadLetters(jobId: $jobId) {{
    __typename
    ... on DeadLettersRetried {{ retried resolved stillFailing job {{ {JOB_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""


def _order(n: int, updated_at: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Order/{n}",
        "legacyResourceId": str(n),
        "name": f"#{1000 + n}",
        "createdAt": "2025-12-01T10:00:00Z",
        "updatedAt": updated_at,
        "currencyCode": "EUR",
        "totalPriceSet": {"shopMoney": {"amount": "20.0", "currencyCode": "EUR"}},
    }


def _item(n: int, parent: int) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{n}",
        "sku": f"SKU-{n}",
        "quantity": 2,
        "originalUnitPriceSet": {"shopMoney": {"amount": "10.0", "currencyCode": "EUR"}},
        "__parentId": f"gid://shopify/Order/{parent}",
    }


# Line 2: a bad date; line 3: a line item of that order (an orphan at the end); line 4: bad JSON.
EXPORT = b"".join(
    line + b"\n"
    for line in (
        json.dumps(_order(1)).encode(),
        json.dumps(_order(2, updated_at="not-a-date")).encode(),
        json.dumps(_item(21, 2)).encode(),
        b'{"id": "gid://shopify/Order/3", "name": ',
    )
)


async def _job_with_dead_letters(client: httpx.AsyncClient, conn: Conn) -> tuple[str, int]:
    """A shop's FULL job, still RUNNING, that ingested EXPORT: three open dead letters."""
    shop_id = (await connect_shop(client))["shop"]["id"]
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED'")  # the initial populate
    started = (await graphql(client, START, input={"shopId": shop_id}))["data"]["startSyncJob"]
    job_id = int(started["job"]["id"])
    conn.execute("UPDATE sync_jobs SET status = 'RUNNING' WHERE id = %s", (job_id,))
    ingestor = Ingestor(
        conn, job_id=job_id, shop_id=int(shop_id), mode=SyncMode.FULL, operation_id=None
    )
    ingestor.ingest([EXPORT], start=Checkpoint(0, 0))
    ingestor.finish()
    return started["job"]["id"], job_id


def _finish(conn: Conn, job_id: int) -> None:
    conn.execute(
        "UPDATE sync_jobs SET status = 'COMPLETED', finished_at = now() WHERE id = %s", (job_id,)
    )


async def _letters(client: httpx.AsyncClient, job_id: str, **args: Any) -> list[dict[str, Any]]:
    body = await graphql(client, DEAD_LETTERS, jobId=job_id, **args)
    assert "errors" not in body, body
    letters: list[dict[str, Any]] = body["data"]["deadLetters"]
    return letters


async def _retry(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    body = await graphql(client, RETRY, jobId=job_id)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["retryDeadLetters"]
    return result


async def test_list_fix_retry_resolves_and_the_jobs_failed_lines_drop(
    client: httpx.AsyncClient, conn: Conn
) -> None:
    job_id, job = await _job_with_dead_letters(client, conn)
    _finish(conn, job)

    letters = await _letters(client, job_id)
    assert [letter["lineNumber"] for letter in letters] == [2, 3, 4]
    assert all(letter["jobId"] == job_id for letter in letters)
    first_line = EXPORT.split(b"\n")[0]
    assert letters[0]["byteOffset"] == len(first_line) + 1
    assert "updatedAt" in letters[0]["reason"] and "not-a-date" in letters[0]["line"]
    assert letters[1]["reason"] == "parent order gid://shopify/Order/2 not in the export"
    assert letters[2]["reason"].startswith("invalid JSON")
    assert all(letter["createdAt"] and letter["retriedAt"] is None for letter in letters)
    assert all(letter["resolvedAt"] is None for letter in letters)
    assert [x["lineNumber"] for x in await _letters(client, job_id, first=2)] == [2, 3]

    # An operator fixes the date; order 2 then goes in, and its line item with it.
    fixed = letters[0]["line"].replace("not-a-date", "2026-01-02T00:00:00Z")
    conn.execute("UPDATE dead_letters SET line = %s WHERE id = %s", (fixed, int(letters[0]["id"])))

    result = await _retry(client, job_id)

    assert result["__typename"] == "DeadLettersRetried"
    assert (result["retried"], result["resolved"], result["stillFailing"]) == (3, 2, 1)
    assert result["job"]["id"] == job_id and result["job"]["status"] == "COMPLETED"
    stats = result["job"]["stats"]
    assert (stats["failedLines"], stats["ordersCreated"], stats["lineItemsWritten"]) == (1, 2, 1)
    rows = conn.execute("SELECT id FROM line_items").fetchall()
    assert rows == [("gid://shopify/LineItem/21",)]

    body = await graphql(client, JOB_LETTERS, id=job_id)
    assert body["data"]["syncJob"]["stats"]["failedLines"] == 1
    assert [x["lineNumber"] for x in body["data"]["syncJob"]["deadLetters"]] == [4]
    everything = await _letters(client, job_id, includeResolved=True)
    assert [x["lineNumber"] for x in everything] == [2, 3, 4]
    assert [x["resolvedAt"] is not None for x in everything] == [True, True, False]
    assert [x["resolution"] for x in everything] == ["ingested", "ingested", None]
    assert all(x["retriedAt"] is not None for x in everything)

    # The bad JSON stays: a second retry resolves nothing.
    again = await _retry(client, job_id)
    assert (again["retried"], again["resolved"], again["stillFailing"]) == (1, 0, 1)
    assert again["job"]["stats"]["failedLines"] == 1


@pytest.mark.parametrize("status", ["QUEUED", "RUNNING"])
async def test_retry_is_refused_while_the_job_is_active(
    client: httpx.AsyncClient, conn: Conn, status: str
) -> None:
    job_id, job = await _job_with_dead_letters(client, conn)
    conn.execute("UPDATE sync_jobs SET status = %s WHERE id = %s", (status, job))

    result = await _retry(client, job_id)

    assert result == {
        "__typename": "ValidationError",
        "field": "jobId",
        "message": f"sync job {job_id} is still {status}; retry its dead letters once it "
        "has finished",
    }
    letters = await _letters(client, job_id)
    assert len(letters) == 3 and all(x["retriedAt"] is None for x in letters)


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
async def test_retry_runs_for_a_failed_or_cancelled_job(
    client: httpx.AsyncClient, conn: Conn, status: str
) -> None:
    job_id, job = await _job_with_dead_letters(client, conn)
    conn.execute("UPDATE sync_jobs SET status = %s WHERE id = %s", (status, job))

    result = await _retry(client, job_id)

    assert result["__typename"] == "DeadLettersRetried", result
    assert (result["retried"], result["resolved"], result["stillFailing"]) == (3, 0, 3)


@pytest.mark.parametrize("bad_id", ["nope", "0", "999999"])
async def test_unknown_or_unparsable_job_ids(client: httpx.AsyncClient, bad_id: str) -> None:
    result = await _retry(client, bad_id)
    assert result["__typename"] == "ValidationError" and result["field"] == "jobId"
    assert bad_id in result["message"]
    assert await _letters(client, bad_id) == []


@pytest.mark.parametrize("first", [0, 501, -1])
async def test_first_out_of_range_is_bad_user_input(
    client: httpx.AsyncClient, conn: Conn, first: int
) -> None:
    job_id, _job = await _job_with_dead_letters(client, conn)
    for query, variables in (
        (DEAD_LETTERS, {"jobId": job_id, "first": first}),
        (DEAD_LETTERS, {"jobId": "nope", "first": first}),
        (JOB_LETTERS_FIRST, {"id": job_id, "first": first}),
    ):
        body = await graphql(client, query, **variables)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
        assert body["errors"][0]["message"] == "first must be between 1 and 500"


async def test_null_arguments_take_the_defaults(client: httpx.AsyncClient, conn: Conn) -> None:
    job_id, _job = await _job_with_dead_letters(client, conn)
    letters = await _letters(client, job_id, first=None, includeResolved=None)
    assert len(letters) == 3


async def test_no_access_token_in_any_answer(client: httpx.AsyncClient, conn: Conn) -> None:
    job_id, job = await _job_with_dead_letters(client, conn)
    _finish(conn, job)
    row = conn.execute("SELECT access_token_encrypted FROM shops").fetchone()
    assert row is not None
    token = TEST_CIPHER.decrypt(row[0])
    for body in (
        await graphql(client, DEAD_LETTERS, jobId=job_id, includeResolved=True),
        await graphql(client, RETRY, jobId=job_id),
    ):
        assert token not in json.dumps(body)
