"""The scheduler's schedule turn with an injected clock, over real Postgres: one job per slot,
missed slots run once, skipped slots recorded, paused schedules start nothing, the ledger's
primary key holds against a turn that repeats a slot."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from bulk import schedules
from bulk.jobs import JobRequest, create_job, get_job
from bulk.schedules import ScheduleSpec, SlotKind, SlotOutcome, first_slot_from, latest_slot
from bulk.shops import upsert_shop
from bulk.types import JobStatus, JobTrigger, SyncMode
from tests.support.token_keys import TEST_CIPHER
from workers.scheduler.schedules import PruneScheduleSlots, RunDueSchedules

T0 = datetime(2026, 11, 29, 12, 0, 7, tzinfo=UTC)
EVERY_S = 900  # 15 minutes
MARGIN_S = 300
NO_RECONCILE = datetime(2000, 1, 1, 3, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RecordingQueue:
    enqueued: list[int] = field(default_factory=list)

    def enqueue(self, job_id: int, *, delay_s: float = 0.0) -> None:
        self.enqueued.append(job_id)


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool[Any]]:
    with ConnectionPool(
        database_url, min_size=1, max_size=2, kwargs={"autocommit": True}, open=True
    ) as opened:
        yield opened


def _shop(conn: psycopg.Connection[Any], name: str = "sched") -> int:
    shop, _ = upsert_shop(
        conn,
        domain=f"{name}.myshopify.com",
        access_token="shpat_schedule_secret",
        api_version="2026-10",
        admin_url="http://127.0.0.1:9",
        cipher=TEST_CIPHER,
    )
    return shop.id


def _spec(
    *,
    update_every_s: int | None = EVERY_S,
    reconcile_every_s: int | None = None,
    paused: bool = False,
) -> ScheduleSpec:
    return ScheduleSpec(
        update_every_s=update_every_s,
        stale_margin_s=MARGIN_S,
        reconcile_every_s=reconcile_every_s,
        reconcile_anchor_at=NO_RECONCILE,
        paused=paused,
    )


def _slots(
    conn: psycopg.Connection[Any], shop_id: int
) -> list[tuple[str, datetime, str, int | None]]:
    rows = conn.execute(
        "SELECT kind, slot_at, outcome, job_id FROM schedule_slots WHERE shop_id = %s"
        " ORDER BY slot_at, kind",
        (shop_id,),
    ).fetchall()
    return [(str(k), at, str(o), j) for k, at, o, j in rows]


def _finish(conn: psycopg.Connection[Any], job_id: int, status: JobStatus) -> None:
    conn.execute(
        "UPDATE sync_jobs SET status = %s, finished_at = now() WHERE id = %s",
        (status.value, job_id),
    )


def test_slot_arithmetic_is_the_latest_boundary_and_the_first_from() -> None:
    anchor = datetime(2000, 1, 1, tzinfo=UTC)
    assert latest_slot(anchor, EVERY_S, T0) == datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert latest_slot(anchor, EVERY_S, datetime(2026, 11, 29, 12, 15, tzinfo=UTC)) == datetime(
        2026, 11, 29, 12, 15, tzinfo=UTC
    )
    assert first_slot_from(anchor, EVERY_S, T0) == datetime(2026, 11, 29, 12, 15, tzinfo=UTC)
    on_boundary = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    assert first_slot_from(anchor, EVERY_S, on_boundary) == on_boundary


def test_a_new_schedule_starts_one_scheduled_update_at_its_next_boundary(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shop_id = _shop(conn)
    schedule = schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    assert schedule is not None
    slot_at = datetime(2026, 11, 29, 12, 15, tzinfo=UTC)
    assert schedule.next_run_at == slot_at
    clock, queue = Clock(), RecordingQueue()
    turn = RunDueSchedules(pool, queue, clock=clock)

    assert turn() == []  # the boundary before the schedule existed is not a missed slot
    clock.now = slot_at + timedelta(seconds=3)
    runs = turn()
    assert [(r.slot.kind, r.slot.outcome, r.mode) for r in runs] == [
        (SlotKind.UPDATE, SlotOutcome.STARTED, SyncMode.UPDATE)
    ]
    job = get_job(conn, runs[0].slot.job_id or 0)
    assert job is not None and job.trigger is JobTrigger.SCHEDULED
    assert job.status is JobStatus.QUEUED
    assert job.stale_after_mins == math.ceil((EVERY_S + MARGIN_S) / 60)
    assert queue.enqueued == [job.id]
    assert turn() == []  # the same slot again: nothing
    assert queue.enqueued == [job.id]
    after = schedules.get_schedule(conn, shop_id)
    assert after is not None and after.next_update_at == slot_at + timedelta(seconds=EVERY_S)
    assert _slots(conn, shop_id) == [("UPDATE", slot_at, "STARTED", job.id)]


def test_slots_missed_during_downtime_run_once(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shop_id = _shop(conn)
    schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    clock, queue = Clock(), RecordingQueue()
    turn = RunDueSchedules(pool, queue, clock=clock)
    clock.now = T0 + timedelta(hours=5)  # twenty boundaries passed while no scheduler ran
    runs = turn()
    latest = latest_slot(datetime(2000, 1, 1, tzinfo=UTC), EVERY_S, clock.now)
    assert [(r.slot.slot_at, r.slot.outcome) for r in runs] == [(latest, SlotOutcome.STARTED)]
    assert len(queue.enqueued) == 1
    assert turn() == []
    count = conn.execute("SELECT count(*) FROM sync_jobs").fetchone()
    assert count is not None and count[0] == 1


def test_a_slot_during_an_active_job_is_skipped_and_recorded_and_nothing_is_queued(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shop_id = _shop(conn)
    manual = create_job(conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.FULL)).job
    schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    clock, queue = Clock(T0 + timedelta(seconds=EVERY_S)), RecordingQueue()
    runs = RunDueSchedules(pool, queue, clock=clock)()
    assert [(r.slot.outcome, r.slot.job_id) for r in runs] == [
        (SlotOutcome.SKIPPED_ACTIVE_JOB, manual.id)
    ]
    assert runs[0].reason is not None and str(manual.id) in runs[0].reason
    assert queue.enqueued == []
    count = conn.execute("SELECT count(*) FROM sync_jobs").fetchone()
    assert count is not None and count[0] == 1


def test_after_a_skipped_slot_the_next_update_reaches_back_to_the_last_completed_one(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shop_id = _shop(conn)
    schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    clock, queue = Clock(), RecordingQueue()
    turn = RunDueSchedules(pool, queue, clock=clock)
    clock.now = T0 + timedelta(seconds=EVERY_S)
    first = turn()[0].slot
    assert first.outcome is SlotOutcome.STARTED and first.job_id is not None
    _finish(conn, first.job_id, JobStatus.COMPLETED)
    blocker = create_job(conn, JobRequest(shop_id=shop_id, sync_mode=SyncMode.FULL)).job
    clock.now += timedelta(seconds=EVERY_S)
    assert turn()[0].slot.outcome is SlotOutcome.SKIPPED_ACTIVE_JOB
    _finish(conn, blocker.id, JobStatus.COMPLETED)
    clock.now += timedelta(seconds=EVERY_S)
    third = turn()[0].slot
    job = get_job(conn, third.job_id or 0)
    assert job is not None
    # Two intervals since the last completed slot, plus the margin: no gap.
    assert job.stale_after_mins == math.ceil((2 * EVERY_S + MARGIN_S) / 60)


def test_a_paused_schedule_records_its_slots_as_skipped_and_starts_nothing(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shop_id = _shop(conn)
    schedule = schedules.put_schedule(conn, shop_id, _spec(paused=True), now=T0)
    assert schedule is not None and schedule.paused and schedule.paused_reason
    clock, queue = Clock(T0 + timedelta(seconds=EVERY_S)), RecordingQueue()
    turn = RunDueSchedules(pool, queue, clock=clock)
    runs = turn()
    assert [r.slot.outcome for r in runs] == [SlotOutcome.SKIPPED_PAUSED]
    assert runs[0].slot.job_id is None and queue.enqueued == []
    schedules.put_schedule(conn, shop_id, _spec(paused=False), now=clock.now)
    clock.now += timedelta(seconds=EVERY_S)
    assert [r.slot.outcome for r in turn()] == [SlotOutcome.STARTED]
    assert len(queue.enqueued) == 1


def test_a_reconcile_on_an_update_boundary_runs_and_the_update_is_skipped(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shop_id = _shop(conn)
    schedules.put_schedule(conn, shop_id, _spec(reconcile_every_s=3600), now=T0)
    clock, queue = Clock(datetime(2026, 11, 29, 13, 0, 1, tzinfo=UTC)), RecordingQueue()
    runs = RunDueSchedules(pool, queue, clock=clock)()
    assert [(r.slot.kind, r.slot.outcome, r.mode) for r in runs] == [
        (SlotKind.RECONCILE, SlotOutcome.STARTED, SyncMode.RECONCILE),
        (SlotKind.UPDATE, SlotOutcome.SKIPPED_ACTIVE_JOB, SyncMode.UPDATE),
    ]
    job = get_job(conn, queue.enqueued[0])
    assert job is not None and job.sync_mode is SyncMode.RECONCILE
    assert job.trigger is JobTrigger.SCHEDULED and job.stale_after_mins is None


def test_a_slot_already_in_the_ledger_is_never_run_again(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    """A scheduler that recorded a slot, then whose move of next_update_at is undone (as if
    it died between the two): the ledger row keeps the slot from running twice."""
    shop_id = _shop(conn)
    schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    clock, queue = Clock(T0 + timedelta(seconds=EVERY_S)), RecordingQueue()
    turn = RunDueSchedules(pool, queue, clock=clock)
    assert len(turn()) == 1
    conn.execute("UPDATE sync_schedules SET next_update_at = %s", (T0,))
    assert turn() == []
    assert len(queue.enqueued) == 1
    with pytest.raises(psycopg.errors.UniqueViolation):  # the database itself refuses a second
        conn.execute(
            "INSERT INTO schedule_slots (shop_id, kind, slot_at, outcome)"
            " SELECT shop_id, kind, slot_at, 'SKIPPED_PAUSED' FROM schedule_slots"
        )


def test_schedules_of_many_shops_each_get_their_slot_and_old_slots_are_pruned(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    shops = [_shop(conn, f"many{number}") for number in range(5)]
    for shop_id in shops:
        schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    clock, queue = Clock(T0 + timedelta(seconds=EVERY_S)), RecordingQueue()
    runs = RunDueSchedules(pool, queue, batch_size=2, clock=clock)()
    assert len(runs) == 2  # the batch bound; the rest next turn
    runs += RunDueSchedules(pool, queue, clock=clock)()
    assert sorted(r.slot.shop_id for r in runs) == shops
    assert len(set(queue.enqueued)) == 5
    clock.now += timedelta(days=31)
    assert PruneScheduleSlots(pool, retention_s=30 * 24 * 3600, clock=clock)() == 5
    count = conn.execute("SELECT count(*) FROM schedule_slots").fetchone()
    assert count is not None and count[0] == 0


def test_a_schedule_whose_turn_fails_rolls_back_alone_and_holds_back_no_other(
    conn: psycopg.Connection[Any], pool: ConnectionPool[Any]
) -> None:
    broken, healthy = _shop(conn, "broken"), _shop(conn, "healthy")
    for shop_id in (broken, healthy):
        schedules.put_schedule(conn, shop_id, _spec(), now=T0)
    # The database refuses the broken shop's jobs (as a constraint or a bug would).
    conn.execute(
        "CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF NEW.shop_id = {broken} THEN RAISE EXCEPTION 'refused'; END IF;"
        " RETURN NEW; END $$"
    )
    conn.execute(
        "CREATE TRIGGER refuse_job BEFORE INSERT ON sync_jobs"
        " FOR EACH ROW EXECUTE FUNCTION refuse_job()"
    )
    clock, queue = Clock(T0 + timedelta(seconds=EVERY_S)), RecordingQueue()
    runs = RunDueSchedules(pool, queue, clock=clock)()
    assert [(r.slot.shop_id, r.slot.outcome) for r in runs] == [(healthy, SlotOutcome.STARTED)]
    assert _slots(conn, broken) == []  # nothing of its turn stayed: no ledger row, no job
    after = schedules.get_schedule(conn, broken)
    assert after is not None and after.next_update_at == T0 + timedelta(seconds=EVERY_S - 7)
