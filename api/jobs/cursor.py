"""The opaque ``cursor`` of a sync job and its ``after`` argument: the job's place in the
newest-first order (created_at, id), base64url-encoded. It selects nothing by itself: a listing
after it is still scoped to the caller's tenant."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from graphql import GraphQLError

from bulk.jobs import JobPosition

from ..ids import parse_id

# Longer than any cursor we issue (a timestamp and a bigint): refused before decoding.
MAX_CURSOR_LENGTH = 120
_PREFIX = "job:"


def encode_cursor(position: JobPosition) -> str:
    text = f"{_PREFIX}{position.created_at.isoformat()}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> JobPosition:
    """The position a cursor names; a BAD_USER_INPUT error (field ``after``) otherwise."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise _invalid() from None
    if not text.startswith(_PREFIX) or "|" not in text:
        raise _invalid()
    stamp, _, raw_id = text[len(_PREFIX) :].rpartition("|")
    job_id = parse_id(raw_id)
    try:
        created_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise _invalid() from None
    if job_id is None or created_at.tzinfo is None:
        raise _invalid()
    return JobPosition(created_at, job_id)


def _invalid() -> GraphQLError:
    # A list type leaves no room for a ValidationError member: a typed GraphQL error, like
    # paging's ``first``.
    return GraphQLError(
        "after is not a cursor of syncJobs",
        extensions={"code": "BAD_USER_INPUT", "field": "after"},
    )
