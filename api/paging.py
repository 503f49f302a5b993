"""The ``first`` argument of list fields: one default, one bound, one error for every list."""

from __future__ import annotations

from graphql import GraphQLError

DEFAULT_FIRST = 50
MAX_FIRST = 500


def checked_first(first: int | None) -> int:
    """Null means the default; outside 1..MAX_FIRST is a BAD_USER_INPUT error."""
    first = DEFAULT_FIRST if first is None else first
    if not 1 <= first <= MAX_FIRST:
        # A list type leaves no room for a ValidationError member: a typed GraphQL error.
        raise GraphQLError(
            f"first must be between 1 and {MAX_FIRST}",
            extensions={"code": "BAD_USER_INPUT", "field": "first"},
        )
    return first
