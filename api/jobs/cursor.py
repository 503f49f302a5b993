"""The opaque ``cursor`` of a sync job and its ``after`` argument: the job's place in the
newest-first order (created_at, id), base64url-encoded. It selects nothing by itself: a listing
after it is still scoped to the caller's tenant."""

from __future__ import annotations

from graphql import GraphQLError

from bulk.jobs import JobPosition

from ..cursor import decode_position, encode_position
from ..ids import parse_id

# Longer than any cursor we issue (a timestamp and a bigint): refused before decoding.
MAX_CURSOR_LENGTH = 120
_KIND = "job"


def encode_cursor(position: JobPosition) -> str:
    return encode_position(_KIND, position.created_at, str(position.id))


def decode_cursor(cursor: str) -> JobPosition:
    """The position a cursor names; a BAD_USER_INPUT error (field ``after``) otherwise."""
    decoded = decode_position(cursor, _KIND, max_length=MAX_CURSOR_LENGTH)
    job_id = None if decoded is None else parse_id(decoded[1])
    if decoded is None or decoded[0] is None or job_id is None:
        # A list type leaves no room for a ValidationError member: a typed GraphQL error, like
        # paging's ``first``.
        raise GraphQLError(
            "after is not a cursor of syncJobs",
            extensions={"code": "BAD_USER_INPUT", "field": "after"},
        )
    return JobPosition(decoded[0], job_id)
