"""Queries over dead letters: a job's bad lines, by job id (also behind ``SyncJob.deadLetters``)."""

from __future__ import annotations

import strawberry

from ..context import Info, call
from ..ids import parse_id
from ..paging import DEFAULT_FIRST, MAX_FIRST, checked_first
from .types import DeadLetter

LIST_DESCRIPTION = (
    "in file order, only the open ones unless includeResolved. `first` "
    f"must be 1..{MAX_FIRST} (else a BAD_USER_INPUT error)."
)


async def load_dead_letters(
    info: Info, job_id: int, *, first: int | None, include_resolved: bool | None
) -> list[DeadLetter]:
    """The job's dead letters as GraphQL objects (``first`` checked)."""
    found = await call(
        info.context.services.dead_letters.list,
        info.context.caller,
        job_id,
        include_resolved=bool(include_resolved),
        first=checked_first(first),
    )
    return [DeadLetter.from_domain(job_id, letter) for letter in found]


async def resolve_dead_letters(
    info: Info,
    job_id: strawberry.ID,
    first: int | None = DEFAULT_FIRST,
    include_resolved: bool | None = False,
) -> list[DeadLetter]:
    checked_first(first)  # a bad `first` is an error whatever the id
    parsed = parse_id(job_id)
    if parsed is None:
        return []
    return await load_dead_letters(info, parsed, first=first, include_resolved=include_resolved)


@strawberry.type
class DeadLetterQueries:
    dead_letters: list[DeadLetter] = strawberry.field(
        resolver=resolve_dead_letters,
        description=f"A job's dead letters {LIST_DESCRIPTION} An id naming no job gives an "
        "empty list.",
    )
