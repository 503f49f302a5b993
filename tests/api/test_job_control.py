"""Job control over the API: syncJobs' filters and cursor pagination, connectShop without the
initial sync, clearCheckpoint, and resume-on-start as startSyncJob shows it; each tenant-scoped."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from starlette.applications import Starlette

from tests.support.api import CONNECT, START, RecordingQueue, api_client, graphql, token_for

pytestmark = pytest.mark.anyio

A_DOMAIN = "alpha.myshopify.com"
B_DOMAIN = "bravo.myshopify.com"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

LIST = """
query Jobs($shopId: ID, $first: Int, $status: SyncJobStatus, $mode: SyncMode,
           $trigger: SyncJobTrigger, $after: String) {
  syncJobs(shopId: $shopId, first: $first, status: $status, mode: $mode, trigger: $trigger,
           after: $after) { id status syncMode trigger cursor }
}
"""

CLEAR = """
mutation Clear($jobId: ID!) {
  clearCheckpoint(jobId: $jobId) {
    __typename
    ... on CheckpointCleared {
      job { id status bulkOperationId checkpointClearedAt checkpointClearedReason }
    }
    ... on ValidationError { field message }
  }
}
"""


@dataclass
class Tenants:
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    a_viewer: httpx.AsyncClient
    a_shop: int
    b_shop: int
    database_url: str

    def insert_job(
        self,
        shop_id: int,
        created_at: datetime,
        *,
        status: str = "COMPLETED",
        mode: str = "FULL",
        trigger: str = "MANUAL",
        **columns: Any,
    ) -> int:
        """A job row as a finished (or active) sync leaves it."""
        values = {
            "shop_id": shop_id,
            "sync_mode": mode,
            "status": status,
            "trigger": trigger,
            "created_at": created_at,
            "stale_after_mins": 60 if mode == "UPDATE" else None,
            **columns,
        }
        names = ", ".join(values)
        marks = ", ".join(f"%({name})s" for name in values)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute(
                f"INSERT INTO sync_jobs ({names}) VALUES ({marks}) RETURNING id",  # test-only
                values,
            ).fetchone()
        assert row is not None
        return int(row[0])


async def _connect(client: httpx.AsyncClient, domain: str, **extra: Any) -> dict[str, Any]:
    body = await graphql(
        client, CONNECT, input={"domain": domain, "accessToken": "shpat_x", **extra}
    )
    result: dict[str, Any] = body["data"]["connectShop"]
    assert result["__typename"] == "ShopConnected", result
    return result


@pytest.fixture
async def tenants(app: Starlette, database_url: str) -> AsyncIterator[Tenants]:
    a_token, b_token = token_for(database_url, "tenant-a"), token_for(database_url, "tenant-b")
    viewer = token_for(database_url, "tenant-a", role="viewer")
    async with (
        api_client(app, a_token) as a,
        api_client(app, b_token) as b,
        api_client(app, viewer) as a_viewer,
    ):
        a_shop = await _connect(a, A_DOMAIN, initialSync=False)
        b_shop = await _connect(b, B_DOMAIN, initialSync=False)
        yield Tenants(
            a, b, a_viewer, int(a_shop["shop"]["id"]), int(b_shop["shop"]["id"]), database_url
        )


async def _jobs(client: httpx.AsyncClient, **variables: Any) -> list[dict[str, Any]]:
    body = await graphql(client, LIST, **variables)
    assert "errors" not in body, body
    jobs: list[dict[str, Any]] = body["data"]["syncJobs"]
    return jobs


async def _ids(client: httpx.AsyncClient, **variables: Any) -> list[int]:
    return [int(job["id"]) for job in await _jobs(client, **variables)]


async def test_connect_without_the_initial_sync(
    app: Starlette, client: httpx.AsyncClient, queue: RecordingQueue
) -> None:
    without = await _connect(client, "quiet.myshopify.com", initialSync=False)
    assert without["initialJob"] is None and queue.enqueued == []
    assert await _ids(client) == []
    # The default is unchanged: an initial POPULATE, triggered INITIAL.
    default = await _connect(client, "loud.myshopify.com")
    initial = default["initialJob"]
    assert (initial["syncMode"], initial["trigger"]) == ("POPULATE", "INITIAL")
    assert queue.enqueued == [int(initial["id"])]


async def test_filters_by_status_mode_and_trigger(tenants: Tenants) -> None:
    shop = tenants.a_shop
    populate = tenants.insert_job(shop, T0, mode="POPULATE", trigger="INITIAL")
    failed = tenants.insert_job(shop, T0 + timedelta(minutes=1), status="FAILED")
    scheduled = tenants.insert_job(
        shop, T0 + timedelta(minutes=2), mode="UPDATE", trigger="SCHEDULED"
    )
    running = tenants.insert_job(shop, T0 + timedelta(minutes=3), status="RUNNING")
    a = tenants.a

    assert await _ids(a) == [running, scheduled, failed, populate]
    assert await _ids(a, status="FAILED") == [failed]
    assert await _ids(a, status="RUNNING", shopId=str(shop)) == [running]
    assert await _ids(a, mode="FULL") == [running, failed]
    assert await _ids(a, trigger="SCHEDULED") == [scheduled]
    assert await _ids(a, trigger="INITIAL", mode="POPULATE", status="COMPLETED") == [populate]
    assert await _ids(a, trigger="RETRY") == []
    assert await _ids(a, mode="FULL", status="CANCELLED") == []


async def test_cursor_pagination_walks_every_job_once_in_order_with_ties(
    tenants: Tenants,
) -> None:
    # Pairs of jobs created in the same microsecond: id breaks the tie.
    made = [tenants.insert_job(tenants.a_shop, T0 + timedelta(seconds=n // 2)) for n in range(7)]
    expected = sorted(made, key=lambda job_id: (-(made.index(job_id) // 2), -job_id))

    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = await _jobs(tenants.a, first=2, after=after)
        pages += 1
        seen += [int(job["id"]) for job in page]
        if len(page) < 2:
            break
        after = page[-1]["cursor"]
    assert seen == expected and pages == 4
    # Filters and the cursor combine; a cursor of the last job gives an empty page.
    first_two = await _jobs(tenants.a, first=2, shopId=str(tenants.a_shop))
    rest = await _ids(tenants.a, after=first_two[-1]["cursor"], status="COMPLETED")
    assert rest == expected[2:]
    last = (await _jobs(tenants.a))[-1]["cursor"]
    assert await _ids(tenants.a, after=last) == []


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        base64.urlsafe_b64encode(b"job:yesterday|5").decode(),
        base64.urlsafe_b64encode(b"job:2026-11-01T12:00:00+00:00|-5").decode(),
        base64.urlsafe_b64encode(b"job:2026-11-01T12:00:00|5").decode(),  # no time zone
        base64.urlsafe_b64encode(b"shop:2026-11-01T12:00:00+00:00|5").decode(),
        "A" * 5000,
    ],
)
async def test_an_invalid_cursor_is_a_typed_error_on_after(tenants: Tenants, cursor: str) -> None:
    body = await graphql(tenants.a, LIST, after=cursor)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}, error


async def test_a_cursor_from_another_tenant_reveals_none_of_its_jobs(tenants: Tenants) -> None:
    a_jobs = [tenants.insert_job(tenants.a_shop, T0 + timedelta(minutes=n)) for n in range(3)]
    b_jobs = [
        tenants.insert_job(tenants.b_shop, T0 + timedelta(minutes=n, seconds=30)) for n in range(3)
    ]
    a_cursor = (await _jobs(tenants.a))[0]["cursor"]  # A's newest job
    b_cursor = (await _jobs(tenants.b))[0]["cursor"]

    # B paging with A's cursor (T0+2min) sees B's own jobs older than that instant, never A's.
    from_a = await _ids(tenants.b, after=a_cursor)
    assert from_a == [b_jobs[1], b_jobs[0]]
    assert await _ids(tenants.b, after=a_cursor, shopId=str(tenants.a_shop)) == []
    assert await _ids(tenants.a, after=b_cursor) == list(reversed(a_jobs))


async def test_clear_checkpoint_of_a_finished_job(tenants: Tenants) -> None:
    job_id = tenants.insert_job(
        tenants.a_shop,
        T0,
        status="FAILED",
        bulk_operation_id="gid://shopify/BulkOperation/1",
        bulk_status="COMPLETED",
        checkpoint_line=10,
        checkpoint_byte=4096,
        lines_read=10,
    )
    body = await graphql(tenants.a, CLEAR, jobId=str(job_id))
    result = body["data"]["clearCheckpoint"]
    assert result["__typename"] == "CheckpointCleared", result
    job = result["job"]
    assert job["status"] == "FAILED" and job["bulkOperationId"] is None
    assert job["checkpointClearedReason"] == "cleared on request"
    assert job["checkpointClearedAt"] is not None
    with psycopg.connect(tenants.database_url) as conn:
        row = conn.execute(
            "SELECT checkpoint_line, checkpoint_byte, result_url, lines_read FROM sync_jobs"
            " WHERE id = %s",
            (job_id,),
        ).fetchone()
    assert row == (0, 0, None, 10)  # the counts stay: they are the job's history

    # A new request for the shop starts from the beginning: nothing to resume.
    started = await graphql(tenants.a, START, input={"shopId": str(tenants.a_shop)})
    new_job = started["data"]["startSyncJob"]["job"]
    assert new_job["trigger"] == "MANUAL" and new_job["bulkOperationId"] is None


async def test_clear_checkpoint_refuses_an_active_or_unknown_job_and_a_viewer(
    tenants: Tenants,
) -> None:
    running = tenants.insert_job(tenants.a_shop, T0, status="RUNNING", checkpoint_byte=100)
    active = (await graphql(tenants.a, CLEAR, jobId=str(running)))["data"]["clearCheckpoint"]
    assert active == {
        "__typename": "ValidationError",
        "field": "jobId",
        "message": f"sync job {running} is RUNNING: cancel it first",
    }
    for bad in ("987654", "x"):
        unknown = (await graphql(tenants.a, CLEAR, jobId=bad))["data"]["clearCheckpoint"]
        assert (unknown["__typename"], unknown["field"]) == ("ValidationError", "jobId")
    done = tenants.insert_job(tenants.a_shop, T0 - timedelta(hours=1), checkpoint_byte=100)
    viewer = await graphql(tenants.a_viewer, CLEAR, jobId=str(done))
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with psycopg.connect(tenants.database_url) as conn:
        bytes_left = conn.execute(
            "SELECT checkpoint_byte FROM sync_jobs WHERE id = ANY(%s) ORDER BY id",
            ([running, done],),
        ).fetchall()
    assert bytes_left == [(100,), (100,)]


async def test_another_tenant_cannot_clear_a_checkpoint_and_learns_nothing(
    tenants: Tenants,
) -> None:
    job_id = tenants.insert_job(tenants.a_shop, T0, status="FAILED", checkpoint_byte=100)
    theirs = (await graphql(tenants.b, CLEAR, jobId=str(job_id)))["data"]["clearCheckpoint"]
    unknown = (await graphql(tenants.b, CLEAR, jobId="987654"))["data"]["clearCheckpoint"]
    assert theirs == {**unknown, "message": f"no sync job with id {job_id}"}
    assert theirs["field"] == "jobId"
    with psycopg.connect(tenants.database_url) as conn:
        row = conn.execute(
            "SELECT checkpoint_byte, checkpoint_cleared_at FROM sync_jobs WHERE id = %s",
            (job_id,),
        ).fetchone()
    assert row == (100, None)


async def test_start_resumes_the_shops_failed_file_and_shows_it(
    tenants: Tenants, queue: RecordingQueue
) -> None:
    failed = tenants.insert_job(
        tenants.a_shop,
        datetime.now(UTC) - timedelta(hours=1),
        status="FAILED",
        bulk_operation_id="gid://shopify/BulkOperation/7",
        bulk_status="COMPLETED",
        bulk_status_since=datetime.now(UTC) - timedelta(hours=1),
        checkpoint_line=10,
        checkpoint_byte=4096,
        lines_read=10,
        bytes_read=4096,
    )
    fields = "id trigger resumedFromJobId bulkOperationId stats { linesRead }"
    started = await graphql(
        tenants.a,
        START.replace("SyncJobStarted { job {", f"SyncJobStarted {{ job {{ {fields} "),
        input={"shopId": str(tenants.a_shop)},
    )
    job = started["data"]["startSyncJob"]["job"]
    assert job["trigger"] == "RETRY" and job["resumedFromJobId"] == str(failed)
    assert job["bulkOperationId"] == "gid://shopify/BulkOperation/7"
    assert job["stats"]["linesRead"] == 10
    assert queue.enqueued == [int(job["id"])]
    assert await _ids(tenants.a, trigger="RETRY") == [int(job["id"])]
    # Another tenant's request for its own shop adopts nothing of A's.
    b_started = await graphql(tenants.b, START, input={"shopId": str(tenants.b_shop)})
    assert b_started["data"]["startSyncJob"]["job"]["trigger"] == "MANUAL"
