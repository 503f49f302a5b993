"""Parse and classify a batch of JSONL lines with ijson, and build the rows to stage them.

The whole batch goes through ijson's C parser in one call; the values map one-to-one to the lines
when every line boundary is ``}`` newline ``{`` (a ``}`` followed by ``{`` is only valid between
top-level values) and there are as many values as lines. Otherwise, or if the batch does not
parse, each line is parsed on its own to name the bad ones. Each good line becomes a row
``line_no, byte_offset, kind, id, parent_id, doc`` in COPY text format, ``doc`` being the line's
original bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ijson

from bulk.lines import LineBatch

ORDER_PREFIX = "gid://shopify/Order/"
LINE_ITEM_PREFIX = "gid://shopify/LineItem/"
ORDER = b"o"
LINE_ITEM = b"l"

# Bytes COPY's text format gives a meaning to: escaped wherever they may occur.
_COPY_SPECIAL = re.compile(rb"[\\\t\n\r]")
_COPY_ESCAPES = {b"\\": b"\\\\", b"\t": b"\\t", b"\n": b"\\n", b"\r": b"\\r"}


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that cannot be ingested, and why."""

    line_number: int
    byte_offset: int | None
    reason: str
    line: str


@dataclass
class ParsedBatch:
    """A batch's good lines as COPY rows (last occurrence of an id only), and its bad lines."""

    rows: bytes = b""
    orders: int = 0  # distinct order ids staged
    line_items: int = 0  # distinct line item ids staged
    bad: list[BadLine] = field(default_factory=list)


def line_text(content: bytes) -> str:
    """A line's text for a dead letter: undecodable bytes and NULs kept visible, not dropped."""
    return content.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def classify(value: Any) -> tuple[bytes, str, str | None] | str:
    """``(kind, id, parent_id)`` of a parsed line, or the reason it cannot be ingested."""
    if not isinstance(value, dict):
        return "not a JSON object"
    node_id = value.get("id")
    if not isinstance(node_id, str):
        return "missing or non-string id"
    if "\x00" in node_id:
        return "invalid JSON for Postgres: id contains \\u0000"
    if node_id.startswith(ORDER_PREFIX):
        return ORDER, node_id, None
    if node_id.startswith(LINE_ITEM_PREFIX):
        parent = value.get("__parentId")
        if not isinstance(parent, str):
            return "line item without __parentId"
        if not parent.startswith(ORDER_PREFIX):
            return "line item parent is not an order: " + parent
        if "\x00" in parent:
            return "invalid JSON for Postgres: __parentId contains \\u0000"
        return LINE_ITEM, node_id, parent
    return "unknown gid type: " + node_id


def parse_batch(batch: LineBatch) -> ParsedBatch:
    """Validate and classify every line of ``batch``; see the module docstring."""
    data = batch.data
    newline = b"\r\n" if b"\r" in data else b"\n"
    ends = data.endswith(newline)  # False only for a file's last line
    endings = batch.line_count if ends else batch.line_count - 1
    if (
        data.startswith(b"{")
        and data.endswith(b"}" + newline if ends else b"}")
        and data.count(b"}" + newline + b"{") == batch.line_count - 1
        and data.count(b"\r") == (endings if newline == b"\r\n" else 0)
    ):
        try:
            return _build_fast(batch, newline)
        except (ijson.JSONError, ValueError):
            pass  # a line does not parse (or lines and values do not pair up): find which
    return _build_line_by_line(batch)


def _build_fast(batch: LineBatch, newline: bytes) -> ParsedBatch:
    """Pair each line with the value ijson parsed from the whole batch (lazily: no value list)."""
    data = batch.data
    values = ijson.items(data, "", multiple_values=True)
    lines = data.split(newline)
    escaped = data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").split(newline)
    if data.endswith(newline):
        lines.pop()
        escaped.pop()
    parsed = ParsedBatch()
    staged: dict[str, bytes] = {}
    offset = batch.start_byte
    number = batch.first_line
    ending = len(newline)
    for content, copy_text, value in zip(lines, escaped, values, strict=True):
        found = classify(value)
        if isinstance(found, str):
            parsed.bad.append(BadLine(number, offset, found, line_text(content)))
        else:
            kind, node_id, parent = found
            staged.pop(node_id, None)  # a later line of the same id wins
            staged[node_id] = b"%d\t%d\t%s\t%s\t%s\t%s\n" % (
                number,
                offset,
                kind,
                _escape(node_id),
                b"\\N" if parent is None else _escape(parent),
                copy_text,
            )
        offset += len(content) + ending
        number += 1
    _finish(parsed, staged)
    return parsed


def _build_line_by_line(batch: LineBatch) -> ParsedBatch:
    return parse_lines(batch.lines())


def parse_lines(lines: Iterable[tuple[int, int | None, bytes]]) -> ParsedBatch:
    """Validate and classify ``(line_number, byte_offset, content)`` lines one by one."""
    parsed = ParsedBatch()
    staged: dict[str, bytes] = {}
    for number, offset, content in lines:
        problem, value = _parse_line(content)
        found = classify(value) if problem is None else problem
        if isinstance(found, str):
            parsed.bad.append(BadLine(number, offset, found, line_text(content)))
            continue
        kind, node_id, parent = found
        staged.pop(node_id, None)
        staged[node_id] = _row(number, offset, kind, node_id, parent, _escape_bytes(content))
    _finish(parsed, staged)
    return parsed


def _row(
    number: int, offset: int | None, kind: bytes, node_id: str, parent: str | None, copy_text: bytes
) -> bytes:
    """One COPY text row: line_no, byte_offset, kind, id, parent_id, doc."""
    return b"%d\t%s\t%s\t%s\t%s\t%s\n" % (
        number,
        b"\\N" if offset is None else b"%d" % offset,
        kind,
        _escape(node_id),
        b"\\N" if parent is None else _escape(parent),
        copy_text,
    )


def _finish(parsed: ParsedBatch, staged: dict[str, bytes]) -> None:
    """The staged rows in line order (re-inserting a repeated id moved it to its last line)."""
    parsed.rows = b"".join(staged.values())
    parsed.orders = sum(1 for node_id in staged if node_id.startswith(ORDER_PREFIX))
    parsed.line_items = len(staged) - parsed.orders


def _parse_line(content: bytes) -> tuple[str | None, Any]:
    """``(None, value)`` if ``content`` is one JSON value in UTF-8, else ``(reason, None)``."""
    if not content.strip():
        return "empty line", None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}", None
    try:
        found = list(ijson.items(content, "", multiple_values=True))
    except ijson.JSONError as exc:
        return "invalid JSON: " + " ".join(str(exc).split())[:200], None
    if len(found) != 1:
        return "invalid JSON: not exactly one value on the line", None
    return None, found[0]


def _escape(text: str) -> bytes:
    data = text.encode("utf-8")
    if text.isprintable() and b"\\" not in data:
        return data
    return _escape_bytes(data)


def _escape_bytes(data: bytes) -> bytes:
    if _COPY_SPECIAL.search(data) is None:
        return data
    return _COPY_SPECIAL.sub(lambda match: _COPY_ESCAPES[match.group()], data)
