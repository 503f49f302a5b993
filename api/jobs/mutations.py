"""Starting a sync job: one active job per shop, so a second request gets the running one."""

from __future__ import annotations

import strawberry
from anyio import to_thread

from bulk.errors import InvalidJobRequest
from bulk.jobs import JobRequest
from bulk.types import JobType, SyncMode

from ..context import Info
from ..errors import ValidationError
from ..ids import parse_id
from .types import (
    StartSyncJobInput,
    StartSyncJobResult,
    SyncJob,
    SyncJobAlreadyRunning,
    SyncJobStarted,
)


async def resolve_start_sync_job(info: Info, input: StartSyncJobInput) -> StartSyncJobResult:
    shop_id = parse_id(input.shop_id)
    if shop_id is None:
        return ValidationError(field="shopId", message=f"not a shop id: {input.shop_id!r}")
    request = JobRequest(
        shop_id=shop_id,
        sync_mode=input.sync_mode or SyncMode.FULL,
        job_type=input.job_type or JobType.ORDERS,
        days=input.days,
        stale_after_mins=input.stale_after_mins,
    )
    try:
        created = await to_thread.run_sync(info.context.service.start_job, request)
    except InvalidJobRequest as exc:
        return ValidationError(field=exc.field, message=exc.message)
    job = SyncJob.from_domain(created.job)
    return SyncJobStarted(job=job) if created.created else SyncJobAlreadyRunning(job=job)


@strawberry.type
class JobMutations:
    start_sync_job: StartSyncJobResult = strawberry.mutation(
        resolver=resolve_start_sync_job,
        description="Queue a sync of a shop, unless it already has one active.",
    )
