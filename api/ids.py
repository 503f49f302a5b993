"""GraphQL IDs are the decimal strings of the database ids (``"42"``)."""

from __future__ import annotations

import strawberry

_MAX_BIGINT = 2**63 - 1


def parse_id(value: str) -> int | None:
    """The database id behind a GraphQL ID, or None when it cannot name a row."""
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= _MAX_BIGINT else None


def to_id(value: int) -> strawberry.ID:
    return strawberry.ID(str(value))
