"""setSyncSchedule and Shop.schedule over HTTP: validation, pause, removal, the slot ledger,
viewers, the per-tenant rate limit, and tenant isolation (another tenant's shop answers like
an unknown one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import ConnectionPool

from api.app import create_app
from api.settings import ApiSettings
from service.principal import Principal, Role
from service.schedules import ScheduleService
from tests.support.api import (
    FakeVerifier,
    RecordingQueue,
    api_client,
    connect_shop,
    graphql,
    token_for,
)

pytestmark = pytest.mark.anyio

SCHEDULE_FIELDS = """
  updateEveryMins staleMarginMins reconcileDaily reconcileAtUtc nextRunAt lastRunAt lastJobId
  paused pausedReason pausedAt
"""

SET = f"""
mutation Set($shopId: ID!, $input: SetSyncScheduleInput!) {{
  setSyncSchedule(shopId: $shopId, input: $input) {{
    __typename
    ... on SyncScheduleSet {{ shop {{ id }} schedule {{ {SCHEDULE_FIELDS} }} }}
    ... on ValidationError {{ field message }}
  }}
}}
"""

READ = f"""
query Read($id: ID!, $first: Int) {{
  shop(id: $id) {{
    id
    schedule {{ {SCHEDULE_FIELDS} recentSlots(first: $first) {{ slotAt kind outcome jobId }} }}
  }}
}}
"""


async def _set(client: httpx.AsyncClient, shop_id: str, **values: Any) -> dict[str, Any]:
    body = await graphql(client, SET, shopId=shop_id, input=values)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["setSyncSchedule"]
    return result


async def _schedule(client: httpx.AsyncClient, shop_id: str, first: int = 10) -> Any:
    body = await graphql(client, READ, id=shop_id, first=first)
    assert "errors" not in body, body
    return body["data"]["shop"]["schedule"]


async def test_a_schedule_is_set_and_shown_on_the_shop(client: httpx.AsyncClient) -> None:
    shop_id = (await connect_shop(client))["shop"]["id"]
    assert await _schedule(client, shop_id) is None
    result = await _set(
        client,
        shop_id,
        updateEveryMins=15,
        staleMarginMins=3,
        reconcileDaily=True,
        reconcileAtUtc="04:30",
    )
    assert result["__typename"] == "SyncScheduleSet" and result["shop"]["id"] == shop_id
    schedule = result["schedule"]
    assert schedule["updateEveryMins"] == 15 and schedule["staleMarginMins"] == 3
    assert schedule["reconcileDaily"] is True and schedule["reconcileAtUtc"] == "04:30"
    assert schedule["paused"] is False and schedule["pausedReason"] is None
    assert schedule["lastRunAt"] is None and schedule["lastJobId"] is None
    next_run = datetime.fromisoformat(schedule["nextRunAt"])
    assert next_run.second == 0 and next_run.minute % 15 == 0  # on a 15-minute boundary
    shown = await _schedule(client, shop_id)
    assert {k: v for k, v in shown.items() if k != "recentSlots"} == schedule
    assert shown["recentSlots"] == []


async def test_a_list_of_shops_shows_each_ones_schedule(client: httpx.AsyncClient) -> None:
    ids = [(await connect_shop(client, f"list{n}.myshopify.com"))["shop"]["id"] for n in range(3)]
    await _set(client, ids[0], updateEveryMins=15)
    await _set(client, ids[2], updateEveryMins=60, paused=True)
    body = await graphql(client, "{ shops { id schedule { updateEveryMins paused } } }")
    assert "errors" not in body, body
    shown = {shop["id"]: shop["schedule"] for shop in body["data"]["shops"]}
    assert shown == {
        ids[0]: {"updateEveryMins": 15, "paused": False},
        ids[1]: None,
        ids[2]: {"updateEveryMins": 60, "paused": True},
    }


async def test_defaults_pause_and_removal(client: httpx.AsyncClient) -> None:
    shop_id = (await connect_shop(client))["shop"]["id"]
    schedule = (await _set(client, shop_id, updateEveryMins=60))["schedule"]
    assert schedule["staleMarginMins"] == 5 and schedule["reconcileDaily"] is False
    assert schedule["reconcileAtUtc"] is None
    paused = (await _set(client, shop_id, updateEveryMins=60, paused=True))["schedule"]
    assert paused["paused"] is True and "admin" in paused["pausedReason"]
    assert paused["pausedAt"] is not None
    again = (await _set(client, shop_id, updateEveryMins=30, paused=True))["schedule"]
    assert again["pausedAt"] == paused["pausedAt"]  # a pause that goes on keeps its start
    resumed = (await _set(client, shop_id, updateEveryMins=60, paused=False))["schedule"]
    assert resumed["paused"] is False and resumed["pausedAt"] is None
    removed = await _set(client, shop_id, updateEveryMins=None, reconcileDaily=False)
    assert removed["__typename"] == "SyncScheduleSet" and removed["schedule"] is None
    assert await _schedule(client, shop_id) is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"updateEveryMins": 4}, "updateEveryMins"),
        ({"updateEveryMins": 7 * 24 * 60 + 1}, "updateEveryMins"),
        ({"updateEveryMins": 15, "staleMarginMins": -1}, "staleMarginMins"),
        ({"updateEveryMins": 15, "staleMarginMins": 24 * 60 + 1}, "staleMarginMins"),
        ({"reconcileDaily": True, "reconcileAtUtc": "24:00"}, "reconcileAtUtc"),
        ({"reconcileDaily": True, "reconcileAtUtc": "3 am"}, "reconcileAtUtc"),
    ],
)
async def test_bad_values_are_validation_errors_and_change_nothing(
    client: httpx.AsyncClient, values: dict[str, Any], field: str
) -> None:
    shop_id = (await connect_shop(client))["shop"]["id"]
    result = await _set(client, shop_id, **values)
    assert result["__typename"] == "ValidationError" and result["field"] == field, result
    assert await _schedule(client, shop_id) is None


async def test_an_unknown_or_unparsable_shop_id_is_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    for shop_id in ("999999", "x"):
        result = await _set(client, shop_id, updateEveryMins=15)
        assert result["__typename"] == "ValidationError" and result["field"] == "shopId"


async def test_recent_slots_and_the_last_run_come_from_the_ledger(
    client: httpx.AsyncClient, database_url: str
) -> None:
    connected = await connect_shop(client)
    shop_id, job_id = connected["shop"]["id"], connected["initialJob"]["id"]
    await _set(client, shop_id, updateEveryMins=15)
    base = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO schedule_slots (shop_id, kind, slot_at, outcome, job_id) VALUES"
            " (%(s)s, 'UPDATE', %(a)s, 'STARTED', %(j)s),"
            " (%(s)s, 'UPDATE', %(b)s, 'SKIPPED_ACTIVE_JOB', %(j)s),"
            " (%(s)s, 'UPDATE', %(c)s, 'SKIPPED_PAUSED', NULL)",
            {
                "s": int(shop_id),
                "j": int(job_id),
                "a": base,
                "b": base + timedelta(minutes=15),
                "c": base + timedelta(minutes=30),
            },
        )
    schedule = await _schedule(client, shop_id, first=2)
    assert datetime.fromisoformat(schedule["lastRunAt"]) == base
    assert schedule["lastJobId"] == job_id
    assert [(s["outcome"], s["jobId"]) for s in schedule["recentSlots"]] == [
        ("SKIPPED_PAUSED", None),
        ("SKIPPED_ACTIVE_JOB", job_id),
    ]
    for first in (0, 101):
        body = await graphql(client, READ, id=shop_id, first=first)
        codes = [e["extensions"]["code"] for e in body["errors"]]
        assert codes == ["BAD_USER_INPUT"], body


async def test_a_viewer_reads_the_schedule_but_cannot_set_it(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    shop_id = (await connect_shop(client))["shop"]["id"]
    await _set(client, shop_id, updateEveryMins=15)
    async with api_client(app, token_for(database_url, role="viewer")) as viewer:
        assert (await _schedule(viewer, shop_id))["updateEveryMins"] == 15
        body = await graphql(viewer, SET, shopId=shop_id, input={"updateEveryMins": 5})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await _schedule(client, shop_id))["updateEveryMins"] == 15


async def test_another_tenant_can_neither_set_nor_read_a_schedule(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    shop_id = (await connect_shop(client))["shop"]["id"]
    await _set(client, shop_id, updateEveryMins=15)
    async with api_client(app, token_for(database_url, "tenant-b")) as b:
        theirs = await _set(b, shop_id, updateEveryMins=5, paused=True)
        unknown = await _set(b, "999999", updateEveryMins=5, paused=True)
        # The same answer as for a shop that does not exist (only the id differs).
        assert theirs["__typename"] == unknown["__typename"] == "ValidationError"
        assert theirs["field"] == unknown["field"] == "shopId"
        assert theirs["message"].replace(shop_id, "N") == unknown["message"].replace("999999", "N")
        body = await graphql(b, READ, id=shop_id, first=5)
        assert body["data"]["shop"] is None and "errors" not in body
    schedule = await _schedule(client, shop_id)
    assert schedule["updateEveryMins"] == 15 and schedule["paused"] is False
    # The use cases themselves, below the API: nothing of tenant A's schedule for tenant B.
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT id FROM tenants WHERE name = 'tenant-b'").fetchone()
    assert row is not None
    tenant_b = Principal(tenant_id=int(row[0]), role=Role.ADMIN)
    with ConnectionPool(database_url, min_size=1, max_size=1, open=True) as pool:
        service = ScheduleService(pool=pool, queue=RecordingQueue())
        assert service.get(tenant_b, int(shop_id)) is None
        assert service.get_many(tenant_b, [int(shop_id)]) == {}
        assert service.recent_slots(tenant_b, int(shop_id), first=10) == []


async def test_each_tenant_has_its_own_budget_of_schedule_changes(
    database_url: str, queue: RecordingQueue, verifier: FakeVerifier
) -> None:
    settings = ApiSettings(database_url=database_url, set_sync_schedule_per_minute=2)
    app = create_app(settings, queue=queue, verifier=verifier, pool_max_size=2)
    a_token, b_token = token_for(database_url, "tenant-a"), token_for(database_url, "tenant-b")
    async with api_client(app, a_token) as a, api_client(app, b_token) as b:
        shop_id = (await connect_shop(a))["shop"]["id"]
        answers = [
            await graphql(a, SET, shopId=shop_id, input={"updateEveryMins": 15}) for _ in range(3)
        ]
        codes = [[e["extensions"]["code"] for e in body.get("errors") or []] for body in answers]
        assert codes == [[], [], ["LIMIT_EXCEEDED"]]
        other = await graphql(b, SET, shopId="999999", input={"updateEveryMins": 15})
        assert other["data"]["setSyncSchedule"]["__typename"] == "ValidationError"
