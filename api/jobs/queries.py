"""Queries over sync jobs."""

from __future__ import annotations

from typing import Annotated

import strawberry

from bulk.jobs import JobFilter
from bulk.types import JobStatus, JobTrigger, SyncMode

from ..context import Info, call
from ..ids import parse_id
from ..paging import DEFAULT_FIRST, MAX_FIRST, checked_first
from .cursor import decode_cursor
from .types import SyncJob


async def resolve_sync_job(info: Info, id: strawberry.ID) -> SyncJob | None:
    job_id = parse_id(id)
    if job_id is None:
        return None
    job = await call(info.context.services.jobs.get, info.context.caller, job_id)
    return None if job is None else SyncJob.from_domain(job)


async def resolve_sync_jobs(
    info: Info,
    shop_id: strawberry.ID | None = None,
    first: int | None = DEFAULT_FIRST,
    status: Annotated[
        JobStatus | None, strawberry.argument(description="Only jobs in this status.")
    ] = None,
    mode: Annotated[
        SyncMode | None, strawberry.argument(description="Only jobs of this sync mode.")
    ] = None,
    trigger: Annotated[
        JobTrigger | None, strawberry.argument(description="Only jobs started this way.")
    ] = None,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="A job's `cursor`: the page starts with the job after it (newest "
            "first). A string that is not a cursor is a BAD_USER_INPUT error (field after)."
        ),
    ] = None,
) -> list[SyncJob]:
    first = checked_first(first)
    position = None if after is None else decode_cursor(after)
    parsed = None if shop_id is None else parse_id(shop_id)
    if shop_id is not None and parsed is None:
        return []
    found = await call(
        info.context.services.jobs.list,
        info.context.caller,
        shop_id=parsed,
        first=first,
        where=JobFilter(status=status, sync_mode=mode, trigger=trigger),
        after=position,
    )
    return [SyncJob.from_domain(job) for job in found]


@strawberry.type
class JobQueries:
    sync_job: SyncJob | None = strawberry.field(
        resolver=resolve_sync_job, description="A job by id; null when the id names no job."
    )
    sync_jobs: list[SyncJob] = strawberry.field(
        resolver=resolve_sync_jobs,
        description=f"Jobs, newest first (createdAt, then id), optionally of one shop and "
        f"filtered by status, mode and trigger. `first` must be 1..{MAX_FIRST} (else a "
        "BAD_USER_INPUT error); an id naming no shop gives an empty list. Page with "
        "`after: <the last job's cursor>` until a page is shorter than `first`.",
    )
