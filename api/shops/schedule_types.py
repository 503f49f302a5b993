"""GraphQL types of a shop's sync schedule and its slot ledger (``bulk.schedules``)."""

from __future__ import annotations

import math
from datetime import datetime

import strawberry
from graphql import GraphQLError

from bulk.errors import InvalidArgument
from bulk.schedules import ScheduleSlot as ScheduleSlotRecord
from bulk.schedules import SlotKind, SlotOutcome
from service.schedules import MAX_RECENT_SLOTS, ScheduleView

from ..context import Info, call
from ..ids import to_id

strawberry.enum(SlotKind, name="ScheduleSlotKind")
strawberry.enum(SlotOutcome, name="ScheduleSlotOutcome")

DEFAULT_RECENT_SLOTS = 10


@strawberry.type(description="One slot of a schedule and what it did.")
class ScheduleSlot:
    slot_at: datetime = strawberry.field(description="The slot's boundary time.")
    kind: SlotKind
    outcome: SlotOutcome
    job_id: strawberry.ID | None = strawberry.field(
        description="STARTED: the job the slot created; SKIPPED_ACTIVE_JOB: the shop's active "
        "job that made it skip; SKIPPED_PAUSED: null."
    )

    @classmethod
    def from_domain(cls, slot: ScheduleSlotRecord) -> ScheduleSlot:
        return cls(
            slot_at=slot.slot_at,
            kind=slot.kind,
            outcome=slot.outcome,
            job_id=None if slot.job_id is None else to_id(slot.job_id),
        )


async def resolve_recent_slots(
    root: SyncSchedule, info: Info, first: int | None = DEFAULT_RECENT_SLOTS
) -> list[ScheduleSlot]:
    try:
        slots = await call(
            info.context.services.schedules.recent_slots,
            info.context.caller,
            root.shop_id,
            first=DEFAULT_RECENT_SLOTS if first is None else first,
        )
    except InvalidArgument as exc:
        # A list type leaves no room for a ValidationError member: a typed GraphQL error.
        raise GraphQLError(
            exc.message, extensions={"code": "BAD_USER_INPUT", "field": exc.field}
        ) from None
    return [ScheduleSlot.from_domain(slot) for slot in slots]


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else math.ceil(seconds / 60)


@strawberry.type(
    description="When a shop syncs by itself: an UPDATE every updateEveryMins (its window is "
    "the interval plus staleMarginMins, reaching back to the last completed scheduled UPDATE), "
    "and a daily RECONCILE. Exactly one job per slot; a slot that comes while the shop has an "
    "active job, or while the schedule is paused, is skipped and recorded."
)
class SyncSchedule:
    shop_id: strawberry.Private[int]
    update_every_mins: int | None = strawberry.field(
        description="Minutes between scheduled UPDATE jobs; null: no scheduled UPDATE."
    )
    stale_margin_mins: int
    reconcile_daily: bool
    reconcile_at_utc: str | None = strawberry.field(
        description="The daily RECONCILE's time of day (HH:MM, UTC); null without one."
    )
    next_run_at: datetime | None = strawberry.field(
        description="The next slot (it is skipped and recorded while paused)."
    )
    last_run_at: datetime | None = strawberry.field(
        description="The newest slot that started a job."
    )
    last_job_id: strawberry.ID | None = strawberry.field(description="The job that slot started.")
    paused: bool
    paused_reason: str | None = strawberry.field(
        description="Why: an admin paused it, or a job failed because Shopify reported the shop "
        "frozen or locked (lifted by a manual sync that completes)."
    )
    paused_at: datetime | None

    recent_slots: list[ScheduleSlot] = strawberry.field(
        resolver=resolve_recent_slots,
        description=f"The newest slots first; `first` between 1 and {MAX_RECENT_SLOTS}.",
    )

    @classmethod
    def from_domain(cls, view: ScheduleView) -> SyncSchedule:
        schedule, last = view.schedule, view.last_started
        reconcile = schedule.reconcile_every_s is not None
        return cls(
            shop_id=schedule.shop_id,
            update_every_mins=_minutes(schedule.update_every_s),
            stale_margin_mins=math.ceil(schedule.stale_margin_s / 60),
            reconcile_daily=reconcile,
            reconcile_at_utc=schedule.reconcile_anchor_at.strftime("%H:%M") if reconcile else None,
            next_run_at=schedule.next_run_at,
            last_run_at=None if last is None else last.slot_at,
            last_job_id=None if last is None or last.job_id is None else to_id(last.job_id),
            paused=schedule.paused,
            paused_reason=schedule.paused_reason,
            paused_at=schedule.paused_at,
        )


async def resolve_shop_schedule(shop_id: int, info: Info) -> SyncSchedule | None:
    # Batched per request: a list of shops reads its schedules in one call.
    view = await info.context.loaders.schedules.load(shop_id)
    return None if view is None else SyncSchedule.from_domain(view)
