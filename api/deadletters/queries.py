"""Queries over dead letters: a job's bad lines, by job id (also behind ``SyncJob.deadLetters``).

Lines are listed cut to a prefix; ``deadLetterLine`` pages through a whole line in chunks.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from ..context import Info, call
from ..ids import parse_id, to_id
from ..loaders import DeadLettersKey
from ..paging import DEFAULT_FIRST, MAX_FIRST, checked_first
from .types import DeadLetter, DeadLetterLineChunk

LIST_DESCRIPTION = (
    "in file order, only the open ones unless includeResolved. `first` "
    f"must be 1..{MAX_FIRST} (else a BAD_USER_INPUT error)."
)


async def load_dead_letters(
    info: Info, job_id: int, *, first: int | None, include_resolved: bool | None
) -> list[DeadLetter]:
    """The job's dead letters as GraphQL objects (``first`` checked), batched per request."""
    key = DeadLettersKey(job_id, bool(include_resolved), checked_first(first))
    found = await info.context.loaders.dead_letters.load(key)
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


def _bad_input(field: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": field})


async def resolve_dead_letter_line(
    info: Info, id: strawberry.ID, offset: int = 0, length: int | None = None
) -> DeadLetterLineChunk | None:
    most = info.context.limits.dead_letter_chunk_max_chars
    length = most if length is None else length
    if offset < 0:
        raise _bad_input("offset", "offset must not be negative")
    if not 1 <= length <= most:
        raise _bad_input("length", f"length must be between 1 and {most}")
    letter_id = parse_id(id)
    if letter_id is None:
        return None
    chunk = await call(
        info.context.services.dead_letters.line_chunk,
        info.context.caller,
        letter_id,
        offset=offset,
        length=length,
    )
    if chunk is None:
        return None
    return DeadLetterLineChunk(
        dead_letter_id=to_id(letter_id),
        offset=offset,
        text=chunk.text,
        line_length=chunk.line_length,
        has_more=offset + len(chunk.text) < chunk.line_length,
    )


@strawberry.type
class DeadLetterQueries:
    dead_letters: list[DeadLetter] = strawberry.field(
        resolver=resolve_dead_letters,
        description=f"A job's dead letters {LIST_DESCRIPTION} An id naming no job gives an "
        "empty list.",
    )
    dead_letter_line: DeadLetterLineChunk | None = strawberry.field(
        resolver=resolve_dead_letter_line,
        description="Characters `offset` .. `offset + length` of a dead letter's whole line "
        "(`length` at most DEAD_LETTER_CHUNK_MAX_CHARS, its default); null when the id names "
        "no dead letter.",
    )
