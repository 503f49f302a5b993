"""The opaque ``cursor`` of a mirrored order and ``orders(after:)``: its place in the
(updatedAt, id) order, base64url-encoded. It selects nothing by itself: a page after it is
still of the caller's shop only."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from graphql import GraphQLError

from bulk.mirror import OrderPosition

# Longer than any cursor we issue (a timestamp and a Shopify GID): refused before decoding.
MAX_CURSOR_LENGTH = 400
_PREFIX = "order:"


def encode_cursor(position: OrderPosition) -> str:
    stamp = "" if position.updated_at is None else position.updated_at.isoformat()
    text = f"{_PREFIX}{stamp}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> OrderPosition:
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
    # An ISO timestamp holds no "|"; the order's id is everything after the first one.
    stamp, _, order_id = text[len(_PREFIX) :].partition("|")
    if not order_id:
        raise _invalid()
    if not stamp:
        return OrderPosition(None, order_id)
    try:
        updated_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise _invalid() from None
    if updated_at.tzinfo is None:
        raise _invalid()
    return OrderPosition(updated_at, order_id)


def _invalid() -> GraphQLError:
    return GraphQLError(
        "after is not a cursor of orders", extensions={"code": "BAD_USER_INPUT", "field": "after"}
    )
