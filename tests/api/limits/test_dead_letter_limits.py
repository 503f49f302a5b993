"""Dead letter lines: a bounded prefix when listed, paged whole, one statement per list."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import ConnectionPool
from starlette.applications import Starlette

from api.app import create_app
from api.settings import ApiSettings
from bulk import jobs, shops, tenants
from bulk.jobs import JobRequest
from tests.support.api import FakeVerifier, RecordingQueue, api_client, graphql
from tests.support.token_keys import TEST_CIPHER

pytestmark = pytest.mark.anyio

Conn = psycopg.Connection[Any]

PREFIX = 4096  # the default DEAD_LETTER_LINE_MAX_CHARS
HUGE = 5_000_000


def make_job(conn: Conn, domain: str = "demo.myshopify.com") -> int:
    """A job of a shop of tenant-a (the tenant of the clients' tokens)."""
    shop, _ = shops.upsert_shop(
        conn,
        domain=domain,
        access_token="shpat_limits_0000",
        api_version="2026-10",
        admin_url=f"https://{domain}",
        cipher=TEST_CIPHER,
        tenant_id=tenants.ensure_tenant(conn, "tenant-a"),
    )
    return jobs.create_job(conn, JobRequest(shop_id=shop.id)).job.id


def add_letter(conn: Conn, job_id: int, line: str, line_number: int = 1) -> int:
    row = conn.execute(
        "INSERT INTO dead_letters (job_id, shop_id, line_number, byte_offset, reason, line) "
        "SELECT id, shop_id, %s, 0, 'invalid JSON', %s FROM sync_jobs WHERE id = %s RETURNING id",
        (line_number, line, job_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


async def test_aliases_of_a_huge_line_answer_a_bounded_response(
    client: httpx.AsyncClient, conn: Conn
) -> None:
    job_id = make_job(conn)
    add_letter(conn, job_id, "é" + "x" * (HUGE - 1))
    query = """query($id: ID!) {
      a: deadLetters(jobId: $id) { line }
      b: deadLetters(jobId: $id) { line }
      c: deadLetters(jobId: $id) { line }
      job: syncJob(id: $id) { deadLetters { line } }
    }"""

    response = await client.post("/graphql", json={"query": query, "variables": {"id": job_id}})

    assert response.status_code == 200
    # Four prefixes and the JSON around them; the whole line would be 4 x 5 MB.
    assert len(response.content) < 4 * (PREFIX + 1024), len(response.content)
    data = response.json()["data"]
    lines = [data[alias][0]["line"] for alias in "abc"] + [data["job"]["deadLetters"][0]["line"]]
    assert lines == ["é" + "x" * (PREFIX - 1)] * 4


async def test_a_listed_line_says_whether_it_was_cut(client: httpx.AsyncClient, conn: Conn) -> None:
    job_id = make_job(conn)
    add_letter(conn, job_id, "y" * (PREFIX + 1), line_number=1)
    add_letter(conn, job_id, "z" * PREFIX, line_number=2)

    body = await graphql(
        client,
        "query($id: ID!) { deadLetters(jobId: $id) { line lineLength lineTruncated } }",
        id=str(job_id),
    )

    assert body["data"]["deadLetters"] == [
        {"line": "y" * PREFIX, "lineLength": PREFIX + 1, "lineTruncated": True},
        {"line": "z" * PREFIX, "lineLength": PREFIX, "lineTruncated": False},
    ]


CHUNK = """query($id: ID!, $offset: Int, $length: Int) {
  deadLetterLine(id: $id, offset: $offset, length: $length) {
    deadLetterId offset text lineLength hasMore
  }
}"""


@pytest.fixture
async def chunked(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApiSettings(database_url=database_url, dead_letter_chunk_max_chars=3000)
    app = create_app(settings, queue=queue, verifier=verifier)
    async with api_client(app) as c:
        yield c


async def test_the_whole_line_pages_through_dead_letter_line(
    chunked: httpx.AsyncClient, conn: Conn
) -> None:
    line = "".join(f"{n:05d}ü" for n in range(2000))  # 12,000 characters, not all ASCII
    letter_id = add_letter(conn, make_job(conn), line)

    text, offset, has_more = "", 0, True
    while has_more:
        body = await graphql(chunked, CHUNK, id=str(letter_id), offset=offset)
        chunk = body["data"]["deadLetterLine"]
        assert (chunk["deadLetterId"], chunk["offset"]) == (str(letter_id), offset)
        assert chunk["lineLength"] == len(line) and len(chunk["text"]) <= 3000
        text += chunk["text"]
        offset += len(chunk["text"])
        has_more = chunk["hasMore"]

    assert text == line and offset == 12_000
    past = await graphql(chunked, CHUNK, id=str(letter_id), offset=2**31 - 1, length=10)
    assert past["data"]["deadLetterLine"]["text"] == ""
    assert past["data"]["deadLetterLine"]["hasMore"] is False
    assert (await graphql(chunked, CHUNK, id="999999"))["data"] == {"deadLetterLine": None}


@pytest.mark.parametrize(
    ("offset", "length", "field"), [(-1, 10, "offset"), (0, 0, "length"), (0, 3001, "length")]
)
async def test_dead_letter_line_bounds_are_bad_user_input(
    chunked: httpx.AsyncClient, conn: Conn, offset: int, length: int, field: str
) -> None:
    letter_id = add_letter(conn, make_job(conn), "x")

    body = await graphql(chunked, CHUNK, id=str(letter_id), offset=offset, length=length)

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


class CountingCursor(psycopg.Cursor[Any]):
    """Counts every statement the app's pool runs (a test-only cursor factory)."""

    statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().execute(*args, **kwargs)


@pytest.fixture
def counted_app(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> Iterator[Starlette]:
    pool: ConnectionPool[Any] = ConnectionPool(
        database_url, min_size=1, max_size=4, open=False, kwargs={"cursor_factory": CountingCursor}
    )
    yield create_app(
        ApiSettings(database_url=database_url), pool=pool, queue=queue, verifier=verifier
    )


async def test_nested_dead_letters_take_one_statement_for_all_jobs(
    counted_app: Starlette, conn: Conn
) -> None:
    job_ids = [make_job(conn, f"shop{n}.myshopify.com") for n in range(5)]
    for job_id in job_ids:
        add_letter(conn, job_id, f"bad line of {job_id}")
    query = "{ syncJobs(first: 10) { id deadLetters { line } } }"

    async with api_client(counted_app) as client:
        before = CountingCursor.statements
        body = await graphql(client, query)
        statements = CountingCursor.statements - before

    listed = {
        job["id"]: [x["line"] for x in job["deadLetters"]] for job in body["data"]["syncJobs"]
    }
    assert listed == {str(job_id): [f"bad line of {job_id}"] for job_id in job_ids}
    # The token's lookup (one statement per request), the jobs, then the dead letters of all five.
    assert statements == 3
