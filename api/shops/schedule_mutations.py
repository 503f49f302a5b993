"""Setting a shop's sync schedule (admin tokens; rate-limited per tenant)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from bulk.errors import InvalidArgument
from service.schedules import (
    DEFAULT_RECONCILE_AT_UTC,
    DEFAULT_STALE_MARGIN_MINS,
    MAX_STALE_MARGIN_MINS,
    MAX_UPDATE_EVERY_MINS,
    MIN_UPDATE_EVERY_MINS,
    parse_schedule,
)

from ..context import Info, call
from ..errors import ValidationError
from ..ids import parse_id
from .schedule_types import SyncSchedule
from .types import Shop


@strawberry.input
class SetSyncScheduleInput:
    update_every_mins: int | None = strawberry.field(
        default=None,
        description=f"An UPDATE every N minutes ({MIN_UPDATE_EVERY_MINS} to "
        f"{MAX_UPDATE_EVERY_MINS}), on boundaries of N minutes since midnight UTC; null: none.",
    )
    stale_margin_mins: int | None = strawberry.field(
        default=DEFAULT_STALE_MARGIN_MINS,
        description="Added to each scheduled UPDATE's window beyond the interval "
        f"(0 to {MAX_STALE_MARGIN_MINS}).",
    )
    reconcile_daily: bool = strawberry.field(
        default=False,
        description="A RECONCILE once a day (orders deleted in Shopify marked deleted).",
    )
    reconcile_at_utc: str | None = strawberry.field(
        default=DEFAULT_RECONCILE_AT_UTC, description="The daily RECONCILE's time, HH:MM UTC."
    )
    paused: bool = strawberry.field(
        default=False,
        description="Pause the schedule (its slots are skipped and recorded); false lifts any "
        "pause, also one for a frozen shop.",
    )


@strawberry.type(description="The schedule as stored; `schedule` is null when both kinds are off.")
class SyncScheduleSet:
    shop: Shop
    schedule: SyncSchedule | None


SetSyncScheduleResult = Annotated[
    SyncScheduleSet | ValidationError, strawberry.union("SetSyncScheduleResult")
]


async def resolve_set_sync_schedule(
    info: Info, shop_id: strawberry.ID, input: SetSyncScheduleInput
) -> SetSyncScheduleResult:
    parsed_id = parse_id(shop_id)
    if parsed_id is None:
        return ValidationError(field="shopId", message=f"not a shop id: {shop_id!r}")
    try:
        info.context.limits.tenants.check_rate("setSyncSchedule", info.context.caller)
        spec = parse_schedule(
            update_every_mins=input.update_every_mins,
            stale_margin_mins=input.stale_margin_mins,
            reconcile_daily=input.reconcile_daily,
            reconcile_at_utc=input.reconcile_at_utc,
            paused=input.paused,
        )
        view = await call(info.context.services.schedules.set, info.context.caller, parsed_id, spec)
        shop = await call(info.context.services.shops.get, info.context.caller, parsed_id)
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    if shop is None:  # deleted since
        return ValidationError(field="shopId", message=f"no shop with id {parsed_id}")
    return SyncScheduleSet(
        shop=Shop.from_domain(shop),
        schedule=None if view is None else SyncSchedule.from_domain(view),
    )


@strawberry.type
class ScheduleMutations:
    set_sync_schedule: SetSyncScheduleResult = strawberry.mutation(
        resolver=resolve_set_sync_schedule,
        description="Set a shop's sync schedule (admin tokens only), replacing the old one; it "
        "starts now (no slot before now runs). Both kinds off removes it.",
    )
