"""startSyncJob, syncJob and syncJobs through HTTP against real Postgres."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.api import JOB_FIELDS, START, RecordingQueue, connect_shop, graphql

pytestmark = pytest.mark.anyio


async def _idle_shop(client: httpx.AsyncClient, conn: psycopg.Connection[Any], **kw: str) -> str:
    """Connect a shop and finish its initial populate, so it has no active job."""
    shop_id: str = (await connect_shop(client, **kw))["shop"]["id"]
    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED', finished_at = now()")
    return shop_id


async def _start(client: httpx.AsyncClient, **input: Any) -> dict[str, Any]:
    body = await graphql(client, START, input=input)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["startSyncJob"]
    return result


async def test_start_defaults_to_a_full_orders_sync_and_enqueues_it(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    shop_id = await _idle_shop(client, conn)
    queue.enqueued.clear()

    result = await _start(client, shopId=shop_id)

    assert result["__typename"] == "SyncJobStarted"
    job = result["job"]
    assert (job["shopId"], job["jobType"], job["syncMode"], job["status"]) == (
        shop_id,
        "ORDERS",
        "FULL",
        "QUEUED",
    )
    assert job["trigger"] == "MANUAL"
    assert job["filterSince"] is None
    assert job["createdAt"] and job["startedAt"] is None and job["finishedAt"] is None
    assert job["stats"]["bytesRead"] == 0 and job["stats"]["linesRead"] == 0
    assert queue.enqueued == [int(job["id"])]


async def test_populate_with_days_and_update_with_staleness(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    shop_id = await _idle_shop(client, conn)

    populate = await _start(client, shopId=shop_id, syncMode="POPULATE", days=30)
    assert populate["__typename"] == "SyncJobStarted"
    assert populate["job"]["days"] == 30 and populate["job"]["filterSince"] is not None

    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED'")
    update = await _start(
        client, shopId=shop_id, syncMode="UPDATE", staleAfterMins=90, jobType="ORDERS"
    )
    assert update["__typename"] == "SyncJobStarted"
    assert update["job"]["syncMode"] == "UPDATE"
    assert update["job"]["staleAfterMins"] == 90


async def test_reconcile_with_an_optional_days_window(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    shop_id = await _idle_shop(client, conn)

    windowed = await _start(client, shopId=shop_id, syncMode="RECONCILE", days=7)
    assert windowed["__typename"] == "SyncJobStarted"
    job = windowed["job"]
    assert (job["syncMode"], job["days"]) == ("RECONCILE", 7) and job["filterSince"] is not None
    assert job["stats"]["ordersDeleted"] == 0

    conn.execute("UPDATE sync_jobs SET status = 'COMPLETED'")
    whole = await _start(client, shopId=shop_id, syncMode="RECONCILE")
    assert whole["__typename"] == "SyncJobStarted"
    assert whole["job"]["days"] is None and whole["job"]["filterSince"] is None


async def test_a_second_request_gets_the_active_job_and_no_new_message(
    client: httpx.AsyncClient, queue: RecordingQueue
) -> None:
    connected = await connect_shop(client)
    initial_id = connected["initialJob"]["id"]

    result = await _start(client, shopId=connected["shop"]["id"], syncMode="FULL")

    assert result["__typename"] == "SyncJobAlreadyRunning"
    assert result["job"]["id"] == initial_id
    assert result["job"]["syncMode"] == "POPULATE"
    assert queue.enqueued == [int(initial_id)]


async def test_concurrent_requests_give_one_job(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    shop_id = await _idle_shop(client, conn)
    queue.enqueued.clear()

    results = await asyncio.gather(*(_start(client, shopId=shop_id) for _ in range(4)))

    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["SyncJobAlreadyRunning"] * 3 + ["SyncJobStarted"]
    assert len({r["job"]["id"] for r in results}) == 1
    assert queue.enqueued == [int(results[0]["job"]["id"])]
    active = conn.execute("SELECT count(*) FROM sync_jobs WHERE status = 'QUEUED'").fetchone()
    assert active == (1,)


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"shopId": "abc"}, "shopId"),
        ({"shopId": "-1"}, "shopId"),
        ({"shopId": "99999999999999999999999"}, "shopId"),
        ({"shopId": "SHOP"}, "shopId"),
        ({"shopId": "999999"}, "shopId"),
        ({"syncMode": "POPULATE", "days": 0}, "days"),
        ({"syncMode": "POPULATE", "days": 36_501}, "days"),
        ({"syncMode": "FULL", "days": 7}, "days"),
        ({"syncMode": "UPDATE"}, "staleAfterMins"),
        ({"syncMode": "UPDATE", "staleAfterMins": 0}, "staleAfterMins"),
        ({"syncMode": "POPULATE", "staleAfterMins": 60}, "staleAfterMins"),
        ({"staleAfterMins": 60}, "staleAfterMins"),
    ],
)
async def test_invalid_requests_are_validation_errors_naming_the_field(
    client: httpx.AsyncClient,
    conn: psycopg.Connection[Any],
    queue: RecordingQueue,
    input: dict[str, Any],
    field: str,
) -> None:
    shop_id = await _idle_shop(client, conn)
    queue.enqueued.clear()

    result = await _start(client, **({"shopId": shop_id} | input))

    assert result["__typename"] == "ValidationError"
    assert result["field"] == field
    assert result["message"]
    assert queue.enqueued == []
    if input.get("shopId") == "999999":
        assert result["message"] == "no shop with id 999999"


async def test_sync_job_by_id(client: httpx.AsyncClient) -> None:
    job = (await connect_shop(client))["initialJob"]

    body = await graphql(
        client,
        f"""query ($id: ID!) {{
              syncJob(id: $id) {{ {JOB_FIELDS} }}
              missing: syncJob(id: "424242") {{ id }}
              garbage: syncJob(id: "x1") {{ id }}
              empty: syncJob(id: "") {{ id }}
            }}""",
        id=job["id"],
    )

    assert "errors" not in body
    assert body["data"]["syncJob"]["id"] == job["id"]
    assert body["data"]["syncJob"]["syncMode"] == "POPULATE"
    assert body["data"]["missing"] is None
    assert body["data"]["garbage"] is None
    assert body["data"]["empty"] is None


async def test_sync_jobs_newest_first_filtered_and_limited(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    a = await _idle_shop(client, conn, domain="a.myshopify.com")
    b = await _idle_shop(client, conn, domain="b.myshopify.com")
    ids = []
    for shop_id in (a, b, a):
        ids.append((await _start(client, shopId=shop_id))["job"]["id"])
        conn.execute("UPDATE sync_jobs SET status = 'COMPLETED'")

    body = await graphql(
        client,
        """query ($a: ID!) {
             all: syncJobs { id shopId }
             ofA: syncJobs(shopId: $a) { id }
             two: syncJobs(first: 2) { id }
             nullFirst: syncJobs(first: null) { id }
             unknownShop: syncJobs(shopId: "999999") { id }
             garbage: syncJobs(shopId: "nope") { id }
           }""",
        a=a,
    )

    assert "errors" not in body, body
    data = body["data"]
    all_ids = [j["id"] for j in data["all"]]
    assert len(all_ids) == 5  # two initial populates and three started jobs
    assert all_ids[:3] == list(reversed(ids))
    assert [int(i) for i in all_ids] == sorted((int(i) for i in all_ids), reverse=True)
    assert [j["id"] for j in data["ofA"]][:2] == [ids[2], ids[0]]
    assert len(data["ofA"]) == 3
    assert [j["id"] for j in data["two"]] == all_ids[:2]
    assert [j["id"] for j in data["nullFirst"]] == all_ids
    assert data["unknownShop"] == []
    assert data["garbage"] == []


@pytest.mark.parametrize("first", [0, -1, 501])
async def test_sync_jobs_first_out_of_range_is_a_bad_user_input_error(
    client: httpx.AsyncClient, first: int
) -> None:
    body = await graphql(client, "query ($n: Int) { syncJobs(first: $n) { id } }", n=first)

    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "first must be between 1 and 500"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_big_counters_serialise_above_32_bits(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any]
) -> None:
    job = (await connect_shop(client))["initialJob"]
    conn.execute(
        """UPDATE sync_jobs
              SET bytes_read = 5000000000, object_count = 4294967297, lines_read = 123,
                  orders_created = 1, orders_updated = 2, orders_unchanged = 3,
                  orders_skipped = 4, line_items_written = 5, line_items_skipped = 6,
                  line_items_deleted = 7, failed_lines = 8, orders_deleted = 9,
                  bulk_operation_id = 'gid://shopify/BulkOperation/1', bulk_status = 'RUNNING',
                  status = 'RUNNING', started_at = now()"""
    )

    body = await graphql(
        client, f"query ($id: ID!) {{ syncJob(id: $id) {{ {JOB_FIELDS} }} }}", id=job["id"]
    )

    assert "errors" not in body, body
    got = body["data"]["syncJob"]
    assert got["objectCount"] == 4_294_967_297
    assert got["status"] == "RUNNING" and got["startedAt"] is not None
    assert got["bulkOperationId"] == "gid://shopify/BulkOperation/1"
    assert got["bulkOperationStatus"] == "RUNNING"
    assert got["stats"] == {
        "linesRead": 123,
        "ordersCreated": 1,
        "ordersUpdated": 2,
        "ordersUnchanged": 3,
        "ordersSkipped": 4,
        "lineItemsWritten": 5,
        "lineItemsSkipped": 6,
        "lineItemsDeleted": 7,
        "failedLines": 8,
        "bytesRead": 5_000_000_000,
        "ordersDeleted": 9,
    }


async def test_asking_again_for_a_stalled_active_job_sends_no_duplicate(
    client: httpx.AsyncClient, conn: psycopg.Connection[Any], queue: RecordingQueue
) -> None:
    connected = await connect_shop(client)
    job_id = int(connected["initialJob"]["id"])
    conn.execute("UPDATE sync_jobs SET updated_at = now() - interval '10 minutes'")

    results = [await _start(client, shopId=connected["shop"]["id"]) for _ in range(3)]

    assert {r["__typename"] for r in results} == {"SyncJobAlreadyRunning"}
    # A lost message is the scheduler's sweeper's to re-send (once per lost slot, whatever the
    # number of API replicas and requests); each request re-sending it started a duplicate
    # chain of messages that lived as long as the job.
    assert queue.enqueued == [job_id]
