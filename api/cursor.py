"""Opaque keyset cursors: a (timestamp, key) position behind a kind prefix, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime


def encode_position(kind: str, stamp: datetime | None, key: str) -> str:
    """``kind:<iso timestamp or empty>|<key>``, base64url without padding."""
    text = f"{kind}:{'' if stamp is None else stamp.isoformat()}|{key}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_position(
    cursor: str, kind: str, *, max_length: int
) -> tuple[datetime | None, str] | None:
    """The (timestamp, key) a cursor of ``kind`` names, or None when it is not one.

    Bounded before decoding; the timestamp must carry its zone; the key is everything after
    the first ``|`` (an ISO timestamp holds none) and is not empty.
    """
    if len(cursor) > max_length:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        return None
    prefix = f"{kind}:"
    if not text.startswith(prefix) or "|" not in text:
        return None
    stamp, _, key = text[len(prefix) :].partition("|")
    if not key:
        return None
    if not stamp:
        return None, key
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (moment, key) if moment.tzinfo is not None else None
