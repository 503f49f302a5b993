"""The opaque ``cursor`` of a mirrored order and ``orders(after:)``: its place in the
(updatedAt, id) order, base64url-encoded. It selects nothing by itself: a page after it is
still of the caller's shop only."""

from __future__ import annotations

from graphql import GraphQLError

from bulk.mirror import OrderPosition

from ..cursor import decode_position, encode_position

# Longer than any cursor we issue (a timestamp and a Shopify GID): refused before decoding.
MAX_CURSOR_LENGTH = 400
_KIND = "order"


def encode_cursor(position: OrderPosition) -> str:
    return encode_position(_KIND, position.updated_at, position.id)


def decode_cursor(cursor: str) -> OrderPosition:
    """The position a cursor names; a BAD_USER_INPUT error (field ``after``) otherwise."""
    decoded = decode_position(cursor, _KIND, max_length=MAX_CURSOR_LENGTH)
    if decoded is None:
        raise GraphQLError(
            "after is not a cursor of orders",
            extensions={"code": "BAD_USER_INPUT", "field": "after"},
        )
    return OrderPosition(*decoded)
