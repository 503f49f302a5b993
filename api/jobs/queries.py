"""Queries over sync jobs."""

from __future__ import annotations

import strawberry

from ..context import Info, call
from ..ids import parse_id
from ..paging import DEFAULT_FIRST, MAX_FIRST, checked_first
from .types import SyncJob


async def resolve_sync_job(info: Info, id: strawberry.ID) -> SyncJob | None:
    job_id = parse_id(id)
    if job_id is None:
        return None
    job = await call(info.context.services.jobs.get, info.context.caller, job_id)
    return None if job is None else SyncJob.from_domain(job)


async def resolve_sync_jobs(
    info: Info, shop_id: strawberry.ID | None = None, first: int | None = DEFAULT_FIRST
) -> list[SyncJob]:
    first = checked_first(first)
    parsed = None if shop_id is None else parse_id(shop_id)
    if shop_id is not None and parsed is None:
        return []
    found = await call(
        info.context.services.jobs.list, info.context.caller, shop_id=parsed, first=first
    )
    return [SyncJob.from_domain(job) for job in found]


@strawberry.type
class JobQueries:
    sync_job: SyncJob | None = strawberry.field(
        resolver=resolve_sync_job, description="A job by id; null when the id names no job."
    )
    sync_jobs: list[SyncJob] = strawberry.field(
        resolver=resolve_sync_jobs,
        description=f"Jobs, newest first, optionally of one shop. `first` must be 1..{MAX_FIRST} "
        "(else a BAD_USER_INPUT error); an id naming no shop gives an empty list.",
    )
