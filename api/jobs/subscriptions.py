"""Subscriptions over sync jobs: live states pushed from the process's ``JobEventHub``."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from bulk.errors import EventStreamEnded
from bulk.jobs import SyncJob as SyncJobRecord

from ..context import Info, call
from ..ids import parse_id
from .types import SyncJob

# The hub reads every tenant's jobs; each subscription passes on only what its caller may see
# (a job's shop never changes tenant, so a shop's visibility is looked up once).


def _bad_id(field: str, message: str) -> GraphQLError:
    # BAD_USER_INPUT stays readable in production (see api.schema).
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": field})


def _lagged() -> GraphQLError:
    return GraphQLError(
        "the subscriber fell too far behind; subscribe again",
        extensions={"code": "SUBSCRIBER_LAGGED"},
    )


async def subscribe_sync_job_updated(
    info: Info, id: strawberry.ID
) -> AsyncGenerator[SyncJob, None]:
    caller = info.context.caller
    job_id = parse_id(id)
    # Another tenant's job is answered like a job that does not exist.
    if job_id is None or await call(info.context.services.jobs.get, caller, job_id) is None:
        raise _bad_id("id", f"no sync job with id {id!r}")
    last: SyncJobRecord | None = None
    slot = info.context.subscriptions.slot()
    tenant_slot = info.context.limits.tenants.subscription(caller)
    with slot, tenant_slot, info.context.events.subscribe(job_id=job_id) as subscriber:
        while True:
            try:
                _, job = await subscriber.next()
            except EventStreamEnded as exc:
                if exc.lagged:  # pragma: no cover - one job never fills a mailbox
                    raise _lagged() from None
                return
            if job is None:
                if last is None:
                    raise _bad_id("id", f"no sync job with id {id!r}")
                continue
            if job == last:
                continue  # read again (a resync, another subscriber joining) without a change
            last = job
            yield SyncJob.from_domain(job)
            if not job.status.is_active:
                return


async def subscribe_sync_job_events(
    info: Info, shop_id: strawberry.ID | None = None
) -> AsyncGenerator[SyncJob, None]:
    caller = info.context.caller
    shops = info.context.services.shops
    parsed: int | None = None
    if shop_id is not None:
        parsed = parse_id(shop_id)
        shop = None if parsed is None else await call(shops.get, caller, parsed)
        if shop is None:
            raise _bad_id("shopId", f"no shop with id {shop_id!r}")
    visible: dict[int, bool] = {} if parsed is None else {parsed: True}
    slot = info.context.subscriptions.slot()
    tenant_slot = info.context.limits.tenants.subscription(caller)
    with slot, tenant_slot, info.context.events.subscribe(shop_id=parsed) as subscriber:
        while True:
            try:
                _, job = await subscriber.next()
            except EventStreamEnded as exc:
                if exc.lagged:
                    raise _lagged() from None
                return
            if job is None:
                continue
            if job.shop_id not in visible:
                visible[job.shop_id] = await call(shops.get, caller, job.shop_id) is not None
            if visible[job.shop_id]:
                yield SyncJob.from_domain(job)


@strawberry.type
class JobSubscriptions:
    sync_job_updated: AsyncGenerator[SyncJob, None] = strawberry.subscription(
        resolver=subscribe_sync_job_updated,
        description="The job's current state at once, then each change; completes after a "
        "terminal state (COMPLETED, FAILED, CANCELLED). A slow client skips intermediate "
        "states, never the latest. An id naming no job is a BAD_USER_INPUT error.",
    )
    sync_job_events: AsyncGenerator[SyncJob, None] = strawberry.subscription(
        resolver=subscribe_sync_job_events,
        description="Every later change of any job, or of one shop's jobs, until unsubscribed; "
        "the latest state per job (intermediate ones may be skipped, and a state may repeat "
        "after a reconnect to the database). A shopId naming no shop is a BAD_USER_INPUT error.",
    )
