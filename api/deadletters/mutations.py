"""Retrying a finished job's open dead letters through the ingest's merge."""

from __future__ import annotations

import strawberry

from bulk.errors import InvalidArgument

from ..context import Info, call
from ..errors import ValidationError
from ..ids import parse_id
from ..jobs.types import SyncJob
from .types import DeadLettersRetried, RetryDeadLettersResult


async def resolve_retry_dead_letters(info: Info, job_id: strawberry.ID) -> RetryDeadLettersResult:
    parsed = parse_id(job_id)
    if parsed is None:
        return ValidationError(field="jobId", message=f"not a sync job id: {job_id!r}")
    try:
        info.context.limits.tenants.check_rate("retryDeadLetters", info.context.caller)
        retried = await call(info.context.services.dead_letters.retry, info.context.caller, parsed)
    except InvalidArgument as exc:
        return ValidationError(field=exc.field, message=exc.message)
    return DeadLettersRetried(
        retried=retried.result.retried,
        resolved=retried.result.resolved,
        still_failing=retried.result.still_failing,
        job=SyncJob.from_domain(retried.job),
    )


@strawberry.type
class DeadLetterMutations:
    retry_dead_letters: RetryDeadLettersResult = strawberry.mutation(
        resolver=resolve_retry_dead_letters,
        description="Retry the job's open dead letters after fixing their cause (a line item "
        "whose order line failed goes in with that order): lines that now go in are resolved "
        "and the job's stats follow. Only a finished job (COMPLETED, FAILED, CANCELLED): while "
        "it is QUEUED or RUNNING its ingest is still adding dead letters, so the mutation "
        "returns a ValidationError(jobId) and leaves them untouched; so does an id naming no job.",
    )
