"""Sync schedules: set and read a shop's (its tenant's admins), and run the due slots (the
scheduler, as the system). Jobs a slot starts are enqueued only after their row is committed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from bulk import schedules
from bulk.errors import Forbidden, InvalidArgument
from bulk.schedules import Schedule, ScheduleSlot, ScheduleSpec, SlotOutcome, SlotRun

from .ports import JobQueue
from .principal import Principal
from .scope import visible_shop

# What the API accepts: an UPDATE at most every 5 minutes (each is a bulk operation), at least
# once a week; a margin of up to a day.
MIN_UPDATE_EVERY_MINS = 5
MAX_UPDATE_EVERY_MINS = 7 * 24 * 60
MAX_STALE_MARGIN_MINS = 24 * 60
DEFAULT_STALE_MARGIN_MINS = 5
DEFAULT_RECONCILE_AT_UTC = "03:00"
MAX_RECENT_SLOTS = 100
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$", re.ASCII)
DAY_S = 24 * 3600


def parse_schedule(
    *,
    update_every_mins: int | None,
    stale_margin_mins: int | None,
    reconcile_daily: bool,
    reconcile_at_utc: str | None,
    paused: bool,
) -> ScheduleSpec:
    """Validate the API's input (minutes, ``HH:MM``); InvalidArgument names the field."""
    if update_every_mins is not None and not (
        MIN_UPDATE_EVERY_MINS <= update_every_mins <= MAX_UPDATE_EVERY_MINS
    ):
        raise InvalidArgument(
            "updateEveryMins",
            f"updateEveryMins must be between {MIN_UPDATE_EVERY_MINS} and "
            f"{MAX_UPDATE_EVERY_MINS} (a week), or null for no scheduled UPDATE",
        )
    margin = DEFAULT_STALE_MARGIN_MINS if stale_margin_mins is None else stale_margin_mins
    if not 0 <= margin <= MAX_STALE_MARGIN_MINS:
        raise InvalidArgument(
            "staleMarginMins", f"staleMarginMins must be between 0 and {MAX_STALE_MARGIN_MINS}"
        )
    at = (reconcile_at_utc or DEFAULT_RECONCILE_AT_UTC).strip()
    match = _TIME_OF_DAY.match(at)
    if match is None:
        raise InvalidArgument("reconcileAtUtc", "reconcileAtUtc must be a time HH:MM (UTC)")
    anchor = datetime(2000, 1, 1, int(match[1]), int(match[2]), tzinfo=UTC)
    return ScheduleSpec(
        update_every_s=None if update_every_mins is None else update_every_mins * 60,
        stale_margin_s=margin * 60,
        reconcile_every_s=DAY_S if reconcile_daily else None,
        reconcile_anchor_at=anchor,
        paused=paused,
    )


@dataclass(frozen=True)
class ScheduleView:
    """A schedule as the API shows it: with the last slot that started a job."""

    schedule: Schedule
    last_started: ScheduleSlot | None


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ScheduleService:
    pool: ConnectionPool[Any]
    queue: JobQueue
    clock: Callable[[], datetime] = _utcnow

    def set(self, principal: Principal, shop_id: int, spec: ScheduleSpec) -> ScheduleView | None:
        """Replace the shop's schedule (starting now); an empty one removes it (None).
        InvalidArgument("shopId") when the shop does not exist for the caller."""
        principal.require_admin()
        with self.pool.connection() as conn, conn.transaction():
            if visible_shop(conn, principal, shop_id) is None:
                raise InvalidArgument("shopId", f"no shop with id {shop_id}")
            schedule = schedules.put_schedule(conn, shop_id, spec, now=self.clock())
            if schedule is None:
                return None
            return ScheduleView(schedule, schedules.last_started_slot(conn, shop_id))

    def get(self, principal: Principal, shop_id: int) -> ScheduleView | None:
        """The shop's schedule, or None (no schedule, or no such shop for the caller)."""
        return self.get_many(principal, [shop_id]).get(shop_id)

    def get_many(self, principal: Principal, shop_ids: list[int]) -> dict[int, ScheduleView]:
        """The schedules of those of ``shop_ids`` the caller sees and that have one."""
        with self.pool.connection() as conn:
            found = schedules.get_schedules(conn, shop_ids, tenant_id=principal.scope)
        return {shop_id: ScheduleView(*pair) for shop_id, pair in found.items()}

    def recent_slots(self, principal: Principal, shop_id: int, *, first: int) -> list[ScheduleSlot]:
        """Newest first, at most ``first`` (bounded by MAX_RECENT_SLOTS)."""
        if not 1 <= first <= MAX_RECENT_SLOTS:
            raise InvalidArgument("first", f"first must be between 1 and {MAX_RECENT_SLOTS}")
        with self.pool.connection() as conn:
            if visible_shop(conn, principal, shop_id) is None:
                return []
            return schedules.recent_slots(conn, shop_id, first=first)

    def run_due(self, principal: Principal, *, limit: int = 100) -> list[SlotRun]:
        """Handle every due slot (the scheduler; system only), then enqueue the jobs started.

        A job whose enqueue fails stays QUEUED and committed: the sweeper sends it later.
        """
        if not principal.is_system:
            raise Forbidden("only the system runs schedules")
        with self.pool.connection() as conn:
            runs = schedules.run_due_slots(conn, now=self.clock(), limit=limit)
        for run in runs:
            if run.slot.outcome is SlotOutcome.STARTED and run.slot.job_id is not None:
                self.queue.enqueue(run.slot.job_id)
        return runs

    def prune_slots(self, principal: Principal, *, retention_s: float) -> int:
        """Forget ledger rows older than ``retention_s`` (history only by then)."""
        if not principal.is_system:
            raise Forbidden("only the system prunes schedule slots")
        with self.pool.connection() as conn:
            before = self.clock() - timedelta(seconds=retention_s)
            return schedules.prune_slots(conn, before=before)
