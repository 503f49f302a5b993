"""Starting a sync job (one active job per shop, so a second request gets the running one) and
cancelling one."""

from __future__ import annotations

import strawberry

from bulk.errors import InvalidArgument
from bulk.jobs import JobRequest
from bulk.types import JobType, SyncMode

from ..context import Info, call
from ..errors import ValidationError
from ..ids import parse_id
from .types import (
    CancelSyncJobResult,
    CheckpointCleared,
    ClearCheckpointResult,
    StartSyncJobInput,
    StartSyncJobResult,
    SyncJob,
    SyncJobAlreadyFinished,
    SyncJobAlreadyRunning,
    SyncJobCancelled,
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
        info.context.limits.tenants.check_rate("startSyncJob", info.context.caller)
        created = await call(info.context.services.jobs.start, info.context.caller, request)
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    job = SyncJob.from_domain(created.job)
    return SyncJobStarted(job=job) if created.created else SyncJobAlreadyRunning(job=job)


async def resolve_cancel_sync_job(info: Info, id: strawberry.ID) -> CancelSyncJobResult:
    job_id = parse_id(id)
    if job_id is None:
        return ValidationError(field="id", message=f"not a sync job id: {id!r}")
    try:
        outcome = await call(info.context.services.jobs.cancel, info.context.caller, job_id)
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    job = SyncJob.from_domain(outcome.job)
    return SyncJobAlreadyFinished(job=job) if outcome.finished else SyncJobCancelled(job=job)


async def resolve_clear_checkpoint(info: Info, job_id: strawberry.ID) -> ClearCheckpointResult:
    parsed = parse_id(job_id)
    if parsed is None:
        return ValidationError(field="jobId", message=f"not a sync job id: {job_id!r}")
    try:
        job = await call(info.context.services.jobs.clear_checkpoint, info.context.caller, parsed)
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    return CheckpointCleared(job=SyncJob.from_domain(job))


@strawberry.type
class JobMutations:
    start_sync_job: StartSyncJobResult = strawberry.mutation(
        resolver=resolve_start_sync_job,
        description="Queue a sync of a shop, unless it already has one active. When the "
        "shop's last job FAILED mid-file with the same request and its result is still "
        "downloadable, the new job (trigger RETRY, resumedFromJobId) continues that file from "
        "its checkpoint instead of exporting again.",
    )
    cancel_sync_job: CancelSyncJobResult = strawberry.mutation(
        resolver=resolve_cancel_sync_job,
        description="Cancel a QUEUED or RUNNING job and ask Shopify to cancel its bulk "
        "operation; from then on no worker writes anything for it. Cancelling a CANCELLED job "
        "again answers SyncJobCancelled; a COMPLETED or FAILED job answers "
        "SyncJobAlreadyFinished; an id naming no job, a ValidationError(id).",
    )
    clear_checkpoint: ClearCheckpointResult = strawberry.mutation(
        resolver=resolve_clear_checkpoint,
        description="Drop a COMPLETED, FAILED or CANCELLED job's checkpoint and result "
        "reference, so no later job resumes its file: the shop's next sync starts from the "
        "beginning with a new bulk operation. Recorded on the job (checkpointClearedAt, "
        "checkpointClearedReason). A QUEUED or RUNNING job, or an id naming no job: "
        "ValidationError(jobId). Admin tokens only.",
    )
