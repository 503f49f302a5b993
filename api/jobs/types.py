"""GraphQL types of sync jobs, mapped from ``bulk.jobs.SyncJob``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from bulk.ingest import IngestStats
from bulk.ingest.stats import STAT_FIELDS
from bulk.jobs import JobPosition
from bulk.jobs import SyncJob as SyncJobRecord
from bulk.types import JobStatus, JobTrigger, JobType, SyncMode

from ..context import Info
from ..deadletters.queries import LIST_DESCRIPTION, load_dead_letters
from ..deadletters.types import DeadLetter
from ..errors import ValidationError
from ..ids import to_id
from ..paging import DEFAULT_FIRST
from ..scalars import BigInt
from .cursor import encode_cursor

strawberry.enum(SyncMode, name="SyncMode")
strawberry.enum(JobType, name="JobType")
strawberry.enum(JobStatus, name="SyncJobStatus")
strawberry.enum(JobTrigger, name="SyncJobTrigger")


# The counters of bulk.ingest.IngestStats, listed here for their GraphQL descriptions (a test
# checks that the two lists agree).
@strawberry.type(description="Counters of a job, persisted as it runs.")
class SyncJobStats:
    lines_read: int
    orders_created: int
    orders_updated: int
    orders_unchanged: int
    orders_skipped: int
    line_items_written: int = strawberry.field(
        description="Line items written, with the nodes of connections added to the orders "
        "query (e.g. metafields, stored in order_children)."
    )
    line_items_skipped: int = strawberry.field(
        description="Line items (and added connections' nodes) of an order not written."
    )
    line_items_deleted: int = strawberry.field(
        description="Stored line items (and added connections' nodes) the kept version of "
        "their order no longer has, deleted at the end of the file."
    )
    failed_lines: int
    lines_superseded: int = strawberry.field(
        description=(
            "Lines that lost to another line of the same node: an order's other versions in the "
            "file, a repeated line item. linesRead = ordersCreated + ordersUpdated + "
            "ordersUnchanged + ordersSkipped + lineItemsWritten + lineItemsSkipped + failedLines "
            "+ linesSuperseded once the file is read; the counts describe the current result "
            "file (they restart when a new bulk operation is submitted)."
        )
    )
    bytes_read: BigInt
    orders_deleted: int = strawberry.field(
        description=(
            "RECONCILE: orders of the export's window it no longer listed, marked deleted (with "
            "their line items) once the whole export was read; 0 for the other modes."
        )
    )

    @classmethod
    def from_domain(cls, stats: IngestStats) -> SyncJobStats:
        counts = {name: getattr(stats, name) for name in STAT_FIELDS}
        return cls(**{**counts, "bytes_read": BigInt(stats.bytes_read)})


async def resolve_job_dead_letters(
    root: SyncJob,
    info: Info,
    first: int | None = DEFAULT_FIRST,
    include_resolved: bool | None = False,
) -> list[DeadLetter]:
    return await load_dead_letters(
        info, int(root.id), first=first, include_resolved=include_resolved
    )


@strawberry.type(description="One sync of a shop's orders. IDs are decimal database ids.")
class SyncJob:
    id: strawberry.ID
    shop_id: strawberry.ID
    job_type: JobType
    sync_mode: SyncMode
    trigger: JobTrigger
    status: JobStatus
    days: int | None
    stale_after_mins: int | None
    filter_since: datetime | None = strawberry.field(
        description="Lower bound of createdAt (POPULATE) or updatedAt (UPDATE), fixed at creation."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    bulk_operation_id: str | None
    bulk_operation_status: str | None = strawberry.field(
        description="Status of the Shopify bulk operation as last seen (e.g. RUNNING, COMPLETED)."
    )
    object_count: BigInt | None
    result_file_size: BigInt | None = strawberry.field(
        description="Bytes of the bulk operation's result file (Shopify's fileSize), once it "
        "completed; progress is stats.bytesRead against it."
    )
    stats: SyncJobStats
    cursor: str = strawberry.field(
        description="Opaque; pass as syncJobs(after:) for the jobs after this one."
    )
    checkpoint_cleared_at: datetime | None = strawberry.field(
        description="When the job's checkpoint was dropped (clearCheckpoint, expiry after its "
        "TTL, or a RETRY job resuming its file): nothing can resume from it since."
    )
    checkpoint_cleared_reason: str | None = strawberry.field(
        description='Why: "cleared on request", "expired after 7 days", "resumed by job N".'
    )
    resumed_from_job_id: strawberry.ID | None = strawberry.field(
        description="The FAILED job whose result file this job continued from its checkpoint "
        "(trigger RETRY); null when it started from the beginning."
    )

    dead_letters: list[DeadLetter] = strawberry.field(
        resolver=resolve_job_dead_letters,
        description=f"The job's dead letters {LIST_DESCRIPTION}",
    )

    @classmethod
    def from_domain(cls, job: SyncJobRecord) -> SyncJob:
        return cls(
            id=to_id(job.id),
            shop_id=to_id(job.shop_id),
            job_type=job.job_type,
            sync_mode=job.sync_mode,
            trigger=job.trigger,
            status=job.status,
            days=job.days,
            stale_after_mins=job.stale_after_mins,
            filter_since=job.filter_since,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            error=job.error,
            bulk_operation_id=job.bulk_operation_id,
            bulk_operation_status=job.bulk_status,
            object_count=None if job.object_count is None else BigInt(job.object_count),
            result_file_size=(
                None if job.result_file_size is None else BigInt(job.result_file_size)
            ),
            stats=SyncJobStats.from_domain(job.stats),
            cursor=encode_cursor(JobPosition.of(job)),
            checkpoint_cleared_at=job.checkpoint_cleared_at,
            checkpoint_cleared_reason=job.checkpoint_cleared_reason,
            resumed_from_job_id=(
                None if job.resumed_from_job_id is None else to_id(job.resumed_from_job_id)
            ),
        )


@strawberry.type
class SyncJobStarted:
    job: SyncJob


@strawberry.type(description="The shop already has a queued or running job; here it is.")
class SyncJobAlreadyRunning:
    job: SyncJob


StartSyncJobResult = Annotated[
    SyncJobStarted | SyncJobAlreadyRunning | ValidationError,
    strawberry.union("StartSyncJobResult"),
]


@strawberry.type(description="The job is CANCELLED (now, or it already was).")
class SyncJobCancelled:
    job: SyncJob


@strawberry.type(description="The job had already COMPLETED or FAILED; it is left as it is.")
class SyncJobAlreadyFinished:
    job: SyncJob


CancelSyncJobResult = Annotated[
    SyncJobCancelled | SyncJobAlreadyFinished | ValidationError,
    strawberry.union("CancelSyncJobResult"),
]


@strawberry.type(description="The finished job's checkpoint is dropped; here is the job.")
class CheckpointCleared:
    job: SyncJob


ClearCheckpointResult = Annotated[
    CheckpointCleared | ValidationError,
    strawberry.union("ClearCheckpointResult"),
]


@strawberry.input
class StartSyncJobInput:
    shop_id: strawberry.ID
    job_type: JobType | None = JobType.ORDERS
    sync_mode: SyncMode | None = strawberry.field(default=None, description="FULL when omitted.")
    days: int | None = strawberry.field(
        default=None, description="POPULATE only: orders created in the last `days` days."
    )
    stale_after_mins: int | None = strawberry.field(
        default=None, description="UPDATE only (required): orders updated in the last N minutes."
    )
