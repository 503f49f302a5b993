"""GraphQL types of dead letters, mapped from ``bulk.deadletters``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from bulk.deadletters import DeadLetter as DeadLetterRecord

from ..errors import ValidationError
from ..ids import to_id
from ..scalars import BigInt

if TYPE_CHECKING:
    from ..jobs.types import SyncJob


@strawberry.type(description="A line of a job's result file that could not be ingested.")
class DeadLetter:
    id: strawberry.ID
    job_id: strawberry.ID
    line_number: BigInt | None = strawberry.field(description="1-based line in the result file.")
    byte_offset: BigInt | None = strawberry.field(
        description="Offset of the line's first byte in the result file."
    )
    reason: str = strawberry.field(description="Why it failed, as of the last attempt.")
    line: str = strawberry.field(
        description="The line's text (shop data, as exported), at most its first "
        "DEAD_LETTER_LINE_MAX_CHARS characters: see `lineTruncated`, and `deadLetterLine` for "
        "the rest."
    )
    line_length: int = strawberry.field(description="Characters of the whole line.")
    line_truncated: bool = strawberry.field(description="Whether `line` is only a prefix.")
    created_at: datetime
    retried_at: datetime | None = strawberry.field(description="The last retry, if any.")
    resolved_at: datetime | None = strawberry.field(
        description="When a retry resolved it; null while it is open."
    )
    resolution: str | None = strawberry.field(
        description=(
            "How it was resolved: `ingested` (the line went in) or `superseded` (newer data "
            "overtook it: a later job's version of its order, or the job's new result file); "
            "null while it is open."
        )
    )

    @classmethod
    def from_domain(cls, job_id: int, letter: DeadLetterRecord) -> DeadLetter:
        return cls(
            id=to_id(letter.id),
            job_id=to_id(job_id),
            line_number=None if letter.line_number is None else BigInt(letter.line_number),
            byte_offset=None if letter.byte_offset is None else BigInt(letter.byte_offset),
            reason=letter.reason,
            line=letter.line,
            line_length=letter.line_length,
            line_truncated=len(letter.line) < letter.line_length,
            created_at=letter.created_at,
            retried_at=letter.retried_at,
            resolved_at=letter.resolved_at,
            resolution=letter.resolution,
        )


@strawberry.type(description="A slice of a dead letter's line, by character offset.")
class DeadLetterLineChunk:
    dead_letter_id: strawberry.ID
    offset: int
    text: str
    line_length: int = strawberry.field(description="Characters of the whole line.")
    has_more: bool = strawberry.field(description="Whether characters follow this chunk.")


@strawberry.type(description="The job's open dead letters were retried; `job` has its new stats.")
class DeadLettersRetried:
    retried: int = strawberry.field(description="Open dead letters the retry took.")
    resolved: int = strawberry.field(description="Of those, how many are now ingested.")
    still_failing: int = strawberry.field(description="Of those, how many stay open.")
    # Lazy: the job type lists dead letters, so importing it here would be circular.
    job: Annotated[SyncJob, strawberry.lazy("api.jobs.types")]


RetryDeadLettersResult = Annotated[
    DeadLettersRetried | ValidationError, strawberry.union("RetryDeadLettersResult")
]
