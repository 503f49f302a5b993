"""Per-shop sync schedules: slot arithmetic, the slot ledger, and starting one job per slot."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog
from psycopg.rows import dict_row

from .jobs import MAX_STALE_AFTER_MINS, JobRequest, SyncJob, create_job
from .sql import queries
from .types import JobTrigger, SyncMode

# Slots of a kind are the boundaries ``anchor + k * every``; a turn runs the latest boundary not
# yet in the ledger, so slots missed while no scheduler ran are run once, not once each.

_SQL = queries("schedules")

log = structlog.get_logger(__name__)


class SlotKind(enum.StrEnum):
    UPDATE = "UPDATE"
    RECONCILE = "RECONCILE"


class SlotOutcome(enum.StrEnum):
    STARTED = "STARTED"  # the slot created a job
    SKIPPED_ACTIVE_JOB = "SKIPPED_ACTIVE_JOB"  # the shop had an active job: nothing queued
    SKIPPED_PAUSED = "SKIPPED_PAUSED"  # the schedule was paused


class PauseCause(enum.StrEnum):
    ADMIN = "ADMIN"  # setSyncSchedule(paused: true)
    SHOP_UNAVAILABLE = "SHOP_UNAVAILABLE"  # a job failed on a frozen/locked shop (402/423)


# UPDATE slots count from here: every 15 minutes means :00, :15, :30 and :45 of each hour.
SLOT_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def latest_slot(anchor: datetime, every_s: int, now: datetime) -> datetime:
    """The latest boundary ``anchor + k * every_s`` at or before ``now``."""
    step = timedelta(seconds=every_s)
    return anchor + ((now - anchor) // step) * step


def first_slot_from(anchor: datetime, every_s: int, since: datetime) -> datetime:
    """The first boundary at or after ``since``."""
    latest = latest_slot(anchor, every_s, since)
    return latest if latest == since else latest + timedelta(seconds=every_s)


@dataclass(frozen=True)
class Schedule:
    shop_id: int
    update_every_s: int | None
    stale_margin_s: int
    update_anchor_at: datetime
    next_update_at: datetime | None
    reconcile_every_s: int | None
    reconcile_anchor_at: datetime
    next_reconcile_at: datetime | None
    active_since: datetime
    paused: bool
    pause_cause: PauseCause | None
    paused_reason: str | None
    paused_at: datetime | None

    @property
    def next_run_at(self) -> datetime | None:
        """The next slot of either kind (a paused schedule's slots come, and are skipped)."""
        due = [at for at in (self.next_update_at, self.next_reconcile_at) if at is not None]
        return min(due, default=None)


def _schedule(row: dict[str, Any]) -> Schedule:
    return Schedule(
        shop_id=row["shop_id"],
        update_every_s=row["update_every_s"],
        stale_margin_s=row["stale_margin_s"],
        update_anchor_at=row["update_anchor_at"],
        next_update_at=row["next_update_at"],
        reconcile_every_s=row["reconcile_every_s"],
        reconcile_anchor_at=row["reconcile_anchor_at"],
        next_reconcile_at=row["next_reconcile_at"],
        active_since=row["active_since"],
        paused=row["paused"],
        pause_cause=None if row["pause_cause"] is None else PauseCause(row["pause_cause"]),
        paused_reason=row["paused_reason"],
        paused_at=row["paused_at"],
    )


@dataclass(frozen=True)
class ScheduleSpec:
    """What a schedule should be; a kind whose interval is None does not run."""

    update_every_s: int | None
    stale_margin_s: int
    reconcile_every_s: int | None
    reconcile_anchor_at: datetime
    paused: bool
    update_anchor_at: datetime = SLOT_EPOCH

    @property
    def is_empty(self) -> bool:
        return self.update_every_s is None and self.reconcile_every_s is None


@dataclass(frozen=True)
class ScheduleSlot:
    shop_id: int
    kind: SlotKind
    slot_at: datetime
    outcome: SlotOutcome
    job_id: int | None  # STARTED: the job created; SKIPPED_ACTIVE_JOB: the active job found


def _slot(row: dict[str, Any]) -> ScheduleSlot:
    return ScheduleSlot(
        shop_id=row["shop_id"],
        kind=SlotKind(row["kind"]),
        slot_at=row["slot_at"],
        outcome=SlotOutcome(row["outcome"]),
        job_id=row["job_id"],
    )


@dataclass(frozen=True)
class SlotRun:
    """One slot handled by a turn; ``mode`` is the job's (or would-be job's) sync mode."""

    slot: ScheduleSlot
    mode: SyncMode
    reason: str | None = None  # why a skipped slot was skipped, readable


def get_schedule(conn: psycopg.Connection[Any], shop_id: int) -> Schedule | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["get_schedule"], {"shop_id": shop_id})
        row = cur.fetchone()
    return None if row is None else _schedule(row)


def put_schedule(
    conn: psycopg.Connection[Any], shop_id: int, spec: ScheduleSpec, *, now: datetime
) -> Schedule | None:
    """Store the shop's schedule, starting at ``now`` (earlier slots are not missed ones); an
    empty spec removes it (None)."""
    if spec.is_empty:
        conn.execute(_SQL["delete_schedule"], {"shop_id": shop_id})
        return None

    def first(anchor: datetime, every_s: int | None) -> datetime | None:
        return None if every_s is None else first_slot_from(anchor, every_s, now)

    params = {
        "shop_id": shop_id,
        "update_every_s": spec.update_every_s,
        "stale_margin_s": spec.stale_margin_s,
        "update_anchor_at": spec.update_anchor_at,
        "next_update_at": first(spec.update_anchor_at, spec.update_every_s),
        "reconcile_every_s": spec.reconcile_every_s,
        "reconcile_anchor_at": spec.reconcile_anchor_at,
        "next_reconcile_at": first(spec.reconcile_anchor_at, spec.reconcile_every_s),
        "now": now,
        "paused": spec.paused,
        "pause_cause": PauseCause.ADMIN.value if spec.paused else None,
        "paused_reason": "paused by an admin (setSyncSchedule)" if spec.paused else None,
        "paused_at": now if spec.paused else None,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["put_schedule"], params)
        row = cur.fetchone()
    assert row is not None
    return _schedule(row)


def get_schedules(
    conn: psycopg.Connection[Any], shop_ids: list[int], *, tenant_id: int | None
) -> dict[int, tuple[Schedule, ScheduleSlot | None]]:
    """The schedules of those shops that ``tenant_id`` owns (every one for None), each with its
    newest STARTED slot: two statements however many shops."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["get_schedules"], {"shop_ids": shop_ids, "tenant_id": tenant_id})
        found = {row["shop_id"]: _schedule(row) for row in cur.fetchall()}
        cur.execute(_SQL["last_started_slots"], {"shop_ids": sorted(found)})
        last = {row["shop_id"]: _slot(row) for row in cur.fetchall()}
    return {shop_id: (schedule, last.get(shop_id)) for shop_id, schedule in found.items()}


def recent_slots(conn: psycopg.Connection[Any], shop_id: int, *, first: int) -> list[ScheduleSlot]:
    """Newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["recent_slots"], {"shop_id": shop_id, "first": first})
        return [_slot(row) for row in cur.fetchall()]


def last_started_slot(conn: psycopg.Connection[Any], shop_id: int) -> ScheduleSlot | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SQL["last_started_slot"], {"shop_id": shop_id})
        row = cur.fetchone()
    return None if row is None else _slot(row)


def run_due_slots(
    conn: psycopg.Connection[Any], *, now: datetime, limit: int = 100
) -> list[SlotRun]:
    """Handle the due slots of up to ``limit`` schedules, each schedule in one transaction
    (ledger row, job, next slot). The caller enqueues the STARTED jobs: they are committed."""
    runs: list[SlotRun] = []
    # Schedules whose turn failed (rolled back): not retried in this turn, so one broken
    # schedule cannot hold back the others due after it.
    failed: list[int] = []
    for _ in range(limit):
        schedule: Schedule | None = None
        try:
            with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                cur.execute(_SQL["lock_due_schedule"], {"now": now, "skip": failed})
                row = cur.fetchone()
                if row is None:
                    break
                schedule = _schedule(row)
                runs.extend(_run_schedule(cur, schedule, now))
        except psycopg.DatabaseError as exc:
            if schedule is None or conn.closed or isinstance(exc, psycopg.OperationalError):
                raise  # the database is away: the whole turn fails, the next one retries
            failed.append(schedule.shop_id)
            log.error("schedule.turn_failed", shop_id=schedule.shop_id, error=str(exc))
    return runs


def _run_schedule(
    cur: psycopg.Cursor[dict[str, Any]], schedule: Schedule, now: datetime
) -> list[SlotRun]:
    runs: list[SlotRun] = []
    # RECONCILE first: a daily reconcile that falls on an UPDATE boundary is not skipped for
    # it (the UPDATE is, and the next one's window reaches back over the gap).
    if schedule.next_reconcile_at is not None and schedule.next_reconcile_at <= now:
        runs.extend(_run_kind(cur, schedule, SlotKind.RECONCILE, now))
    if schedule.next_update_at is not None and schedule.next_update_at <= now:
        runs.extend(_run_kind(cur, schedule, SlotKind.UPDATE, now))
    return runs


def _run_kind(
    cur: psycopg.Cursor[dict[str, Any]], schedule: Schedule, kind: SlotKind, now: datetime
) -> list[SlotRun]:
    if kind is SlotKind.UPDATE:
        anchor, every_s, next_query = schedule.update_anchor_at, schedule.update_every_s, "update"
    else:
        anchor, every_s, next_query = (
            schedule.reconcile_anchor_at,
            schedule.reconcile_every_s,
            "reconcile",
        )
    assert every_s is not None  # next_*_at is set only with its interval (a CHECK)
    slot_at = latest_slot(anchor, every_s, now)
    key = {"shop_id": schedule.shop_id, "kind": kind.value, "slot_at": slot_at}
    cur.execute(
        _SQL[f"set_next_{next_query}"], {**key, "next_at": slot_at + timedelta(seconds=every_s)}
    )
    cur.execute(_SQL["slot_recorded"], key)
    if cur.fetchone() is not None:
        return []  # already in the ledger (the schedule was set again within the slot)
    request = _request(cur, schedule, kind, slot_at)
    reason = None
    if schedule.paused:
        outcome, job_id = SlotOutcome.SKIPPED_PAUSED, None
        reason = f"the schedule is paused: {schedule.paused_reason}"
    else:
        created = create_job(cur.connection, request)
        job_id = created.job.id
        outcome = SlotOutcome.STARTED if created.created else SlotOutcome.SKIPPED_ACTIVE_JOB
        if not created.created:
            reason = f"the shop has an active job {job_id}"
    cur.execute(_SQL["record_slot"], {**key, "outcome": outcome.value, "job_id": job_id})
    slot = ScheduleSlot(schedule.shop_id, kind, slot_at, outcome, job_id)
    return [SlotRun(slot, request.sync_mode, reason)]


def _request(
    cur: psycopg.Cursor[dict[str, Any]], schedule: Schedule, kind: SlotKind, slot_at: datetime
) -> JobRequest:
    if kind is SlotKind.RECONCILE:
        return JobRequest(
            shop_id=schedule.shop_id, sync_mode=SyncMode.RECONCILE, trigger=JobTrigger.SCHEDULED
        )
    assert schedule.update_every_s is not None
    # The window covers the interval plus the margin, and reaches back to the last UPDATE slot
    # whose job completed: a skipped or failed slot leaves no gap in the mirror.
    window_s = float(schedule.update_every_s)
    cur.execute(
        _SQL["last_completed_update_slot"], {"shop_id": schedule.shop_id, "slot_at": slot_at}
    )
    found = cur.fetchone()
    last_done = None if found is None else found["last_at"]
    if last_done is not None:
        window_s = max(window_s, (slot_at - last_done).total_seconds())
    stale_after_mins = min(
        math.ceil((window_s + schedule.stale_margin_s) / 60), MAX_STALE_AFTER_MINS
    )
    return JobRequest(
        shop_id=schedule.shop_id,
        sync_mode=SyncMode.UPDATE,
        stale_after_mins=stale_after_mins,
        trigger=JobTrigger.SCHEDULED,
    )


def prune_slots(conn: psycopg.Connection[Any], *, before: datetime) -> int:
    with conn.cursor() as cur:
        cur.execute(_SQL["prune_slots"], {"before": before})
        return cur.rowcount


# -- the workflow's hooks (called in the transaction that ends the job) ---------------------


def pause_unavailable_shop(conn: psycopg.Connection[Any], shop_id: int, reason: str) -> bool:
    """A job failed because the shop is frozen or locked: pause its schedule (if it has one
    not paused already) with ``reason``. True when it paused it."""
    with conn.cursor() as cur:
        cur.execute(_SQL["pause_unavailable_shop"], {"shop_id": shop_id, "reason": reason})
        paused = cur.fetchone() is not None
    if paused:
        log.warning("schedule.paused", shop_id=shop_id, reason=reason)
    return paused


def resume_after_completed(conn: psycopg.Connection[Any], job: SyncJob) -> bool:
    """A MANUAL job of the shop completed: Shopify answers again, so a pause for an unavailable
    shop is lifted (an admin's pause stays). True when it resumed the schedule."""
    if job.trigger is not JobTrigger.MANUAL:
        return False
    with conn.cursor() as cur:
        cur.execute(_SQL["resume_available_shop"], {"shop_id": job.shop_id})
        resumed = cur.fetchone() is not None
    if resumed:
        log.info("schedule.resumed", shop_id=job.shop_id, job_id=job.id)
    return resumed
