"""Parse and classify a batch of JSONL lines with ijson, and build the COPY rows to stage them."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ijson

from .lines import LineBatch

GID_PREFIX = "gid://shopify/"
ORDER_PREFIX = "gid://shopify/Order/"
LINE_ITEM_PREFIX = "gid://shopify/LineItem/"
ORDER = b"o"
LINE_ITEM = b"l"
CHILD = b"c"  # a node of a connection added to the order (metafields ...): order_children
# Longer ids cannot be Shopify's, and would not fit a btree index entry (~2.7 kB) in Postgres.
MAX_ID_BYTES = 1024
# ijson keeps a path string per open level, each as long as the depth: memory grows with the
# square of the nesting depth (8,000 levels: 160 MB). Shopify's lines nest a few levels; a line
# deeper than this is a dead letter, found before ijson sees it. A line with fewer opening
# brackets than MAX_DEPTH cannot be that deep, so only such lines are measured.
MAX_DEPTH = 512

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
    node_id: str | None = None  # as far as it could be told
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class StagedPart:
    """The COPY rows of one part of a batch's orders (see ``part_of``) and their line items."""

    rows: bytes = b""
    orders: int = 0  # distinct order ids staged
    line_items: int = 0  # child rows staged (line items and added connections' nodes)


def part_of(order_id: str, parts: int) -> int:
    """The part (0 … parts - 1) an order and its children are merged in: a hash of the order
    id that every process and every run computes alike (Python's ``hash`` of a str is not)."""
    return 0 if parts == 1 else zlib.crc32(order_id.encode()) % parts


@dataclass
class ParsedBatch:
    """A batch's good lines as COPY rows per part (see ``parse_batch``), and its bad lines."""

    parts: tuple[StagedPart, ...] = (StagedPart(),)
    bad: list[BadLine] = field(default_factory=list)
    superseded: int = 0  # lines that lost to another line of the same node in the batch
    skipped_items: int = 0  # line items of an order line that lost within the batch

    @property
    def rows(self) -> bytes:
        """Every part's rows (one part: in line order)."""
        return b"".join(part.rows for part in self.parts)

    @property
    def orders(self) -> int:
        return sum(part.orders for part in self.parts)

    @property
    def line_items(self) -> int:
        return sum(part.line_items for part in self.parts)


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
    if len(node_id) * 4 > MAX_ID_BYTES and len(node_id.encode()) > MAX_ID_BYTES:
        return f"id too long: {len(node_id.encode())} bytes (limit {MAX_ID_BYTES})"
    if node_id.startswith(ORDER_PREFIX):
        if "__parentId" in value:  # an order below another node (customer { orders }?)
            return "an order nested in a connection is not stored: " + node_id
        return ORDER, node_id, None
    line_item = node_id.startswith(LINE_ITEM_PREFIX)
    parent = value.get("__parentId")
    child = isinstance(parent, str) and parent.startswith(ORDER_PREFIX)
    if line_item or (child and node_id.startswith(GID_PREFIX)):
        if not isinstance(parent, str):
            return "line item without __parentId"
        if not parent.startswith(ORDER_PREFIX):
            return "line item parent is not an order: " + parent
        if "\x00" in parent:
            return "invalid JSON for Postgres: __parentId contains \\u0000"
        if len(parent) * 4 > MAX_ID_BYTES and len(parent.encode()) > MAX_ID_BYTES:
            return f"__parentId too long: {len(parent.encode())} bytes (limit {MAX_ID_BYTES})"
        return (LINE_ITEM if line_item else CHILD), node_id, parent
    return "unknown gid type: " + node_id


def parse_batch(batch: LineBatch, parts: int = 1) -> ParsedBatch:
    """Validate and classify every line of ``batch``, its rows split in ``parts`` by order.

    The whole batch goes through ijson's C parser in one call; the values map one-to-one to the
    lines when every line boundary is ``}`` newline ``{`` (a ``}`` followed by ``{`` is only valid
    between top-level values) and there are as many values as lines. Otherwise, or if the batch does
    not parse, each line is parsed on its own to name the bad ones. Each good line becomes a row
    ``line_no, byte_offset, kind, id, parent_id, first_line, last_line, lines, occ_line, fallback,
    doc`` in COPY text format, ``doc`` being the line's original bytes.

    Versions within the batch: of an order's lines the one with the newest ``updatedAt`` is staged
    (the later one on a tie), with the first, last and every line number of the order in the batch.
    A line item belongs to the nearest preceding line of its order (``occ_line``); one that comes
    before every line of its order in the batch has no ``occ_line``: the merge gives it the order's
    last line of an earlier batch or, if there is none, the order's first line in this batch
    (``fallback``), or parks it. Line items of a line that lost within the batch are dropped here
    (counted skipped); of two lines of one line item belonging to the same order line, the later is
    kept (the earlier counted superseded, as are an order's other lines), and a line item under two
    orders keeps its last line only. An order's row and its line items' rows go to part
    ``part_of(order id, parts)``; the counts and bad lines are the whole batch's.
    """
    if batch.problem is not None:  # one line over the limit: only its first bytes are here
        node_id, parent_id = ids_in(batch.data)
        line = line_text(batch.data)
        return ParsedBatch(
            parts=(StagedPart(),) * parts,
            bad=[
                BadLine(batch.first_line, batch.start_byte, batch.problem, line, node_id, parent_id)
            ],
        )
    data = batch.data
    newline = b"\r\n" if b"\r" in data else b"\n"
    ends = data.endswith(newline)  # False only for a file's last line
    endings = batch.line_count if ends else batch.line_count - 1
    if (
        not _may_nest_too_deep(data)
        and data.startswith(b"{")
        and data.endswith(b"}" + newline if ends else b"}")
        and data.count(b"}" + newline + b"{") == batch.line_count - 1
        and data.count(b"\r") == (endings if newline == b"\r\n" else 0)
    ):
        try:
            return _build_fast(batch, newline, parts)
        except (ijson.JSONError, ValueError):
            pass  # a line does not parse (or lines and values do not pair up): find which
    return _build_line_by_line(batch, parts)


def _build_fast(batch: LineBatch, newline: bytes, parts: int) -> ParsedBatch:
    """Pair each line with the value ijson parsed from the whole batch (lazily: no value list)."""
    data = batch.data
    values = ijson.items(data, "", multiple_values=True, use_float=True)
    lines = data.split(newline)
    escaped = data.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").split(newline)
    if data.endswith(newline):
        lines.pop()
        escaped.pop()
    staged = _Staged()
    offset = batch.start_byte
    number = batch.first_line
    ending = len(newline)
    for content, copy_text, value in zip(lines, escaped, values, strict=True):
        found = classify(value)
        if isinstance(found, str):
            staged.bad.append(_bad(number, offset, found, content, value))
        else:
            staged.add(number, offset, found, copy_text, value)
        offset += len(content) + ending
        number += 1
    return staged.parsed(parts)


def _build_line_by_line(batch: LineBatch, parts: int = 1) -> ParsedBatch:
    return parse_lines(batch.lines(), parts)


def parse_lines(lines: Iterable[tuple[int, int | None, bytes]], parts: int = 1) -> ParsedBatch:
    """Validate and classify ``(line_number, byte_offset, content)`` lines one by one."""
    staged = _Staged()
    for number, offset, content in lines:
        problem, value = _parse_line(content)
        found = classify(value) if problem is None else problem
        if isinstance(found, str):
            staged.bad.append(_bad(number, offset, found, content, value))
            continue
        staged.add(number, offset, found, _escape_bytes(content), value)
    return staged.parsed(parts)


def _bad(number: int, offset: int | None, reason: str, content: bytes, value: Any) -> BadLine:
    """A bad line, with its node and parent ids when they can be told."""
    if isinstance(value, dict):
        node_id, parent_id = value.get("id"), value.get("__parentId")
        node_id = node_id if isinstance(node_id, str) and _fits(node_id) else None
        parent_id = parent_id if isinstance(parent_id, str) and _fits(parent_id) else None
    else:
        node_id, parent_id = ids_in(content)
    return BadLine(number, offset, reason, line_text(content), node_id, parent_id)


_ID = re.compile(rb'"id"\s*:\s*"(gid://shopify/[A-Za-z]+/[^"\\]{1,100})"')
_PARENT = re.compile(rb'"__parentId"\s*:\s*"(gid://shopify/[A-Za-z]+/[^"\\]{1,100})"')


def ids_in(content: bytes) -> tuple[str | None, str | None]:
    """The id and __parentId a line that does not parse seems to carry (best effort)."""
    found = [pattern.search(content) for pattern in (_ID, _PARENT)]
    node_id, parent_id = (
        match.group(1).decode("utf-8", "replace") if match is not None else None for match in found
    )
    return node_id, parent_id


def _fits(text: str) -> bool:
    return len(text) <= MAX_ID_BYTES // 4 or len(text.encode()) <= MAX_ID_BYTES


_OLDEST = (False, datetime.min.replace(tzinfo=UTC))


def _version_key(updated: Any) -> tuple[bool, datetime]:
    """How new an order line is: its updatedAt (a missing or unreadable one is the oldest)."""
    if not isinstance(updated, str):
        return _OLDEST
    try:
        moment = datetime.fromisoformat(updated)
    except ValueError:
        return _OLDEST
    return True, moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _Staged:
    """The good lines of a batch, reduced to one version per order (see ``parse_batch``)."""

    __slots__ = ("bad", "items", "orders", "superseded")

    def __init__(self) -> None:
        self.bad: list[BadLine] = []
        # order id -> [line, offset, copy text, updatedAt, first line, last line, every line]
        # (the updatedAt value, not the parsed line: a batch's lines are not kept alive)
        self.orders: dict[str, list[Any]] = {}
        # (child id, its order line in the batch or None) -> (line, offset, parent, text, kind)
        self.items: dict[tuple[str, int | None], tuple[int, int | None, str, bytes, bytes]] = {}
        self.superseded = 0

    def add(
        self,
        number: int,
        offset: int | None,
        found: tuple[bytes, str, str | None],
        copy_text: bytes,
        value: Any,
    ) -> None:
        kind, node_id, parent = found
        if kind == ORDER:
            known = self.orders.get(node_id)
            if known is None:
                updated = value.get("updatedAt")
                self.orders[node_id] = [number, offset, copy_text, updated, number, number, None]
                return
            self.superseded += 1
            known[5] = number
            known[6] = [*(known[6] or [known[4]]), number]
            updated = value.get("updatedAt")
            if _version_key(updated) >= _version_key(known[3]):  # the later line wins a tie
                known[0:4] = [number, offset, copy_text, updated]
            return
        assert parent is not None
        order = self.orders.get(parent)
        key = (node_id, None if order is None else order[5])
        if self.items.pop(key, None) is not None:
            self.superseded += 1  # the same line item of the same order line again
        self.items[key] = (number, offset, parent, copy_text, kind)

    def parsed(self, parts: int = 1) -> ParsedBatch:
        parsed = ParsedBatch(bad=self.bad, superseded=self.superseded)
        # Per part: (line number, row) pairs, and the number of orders.
        rows: list[list[tuple[int, bytes]]] = [[] for _ in range(parts)]
        order_counts = [0] * parts
        part_cache: dict[str, int] = {}
        orders = self.orders
        for node_id, (number, offset, copy_text, _value, first, last, every) in orders.items():
            lines = b"\\N" if every is None else b"{%s}" % b",".join(b"%d" % n for n in every)
            extra = b"%d\t%d\t%s\t\\N\t\\N" % (first, last, lines)
            part = part_cache[node_id] = part_of(node_id, parts)
            order_counts[part] += 1
            rows[part].append(
                (number, _row(number, offset, ORDER, node_id, None, copy_text, extra))
            )
        items = self.items
        # A line item under two orders in one batch: its last line only (one write per id).
        parent_of: dict[str, str] = {}
        for (node_id, _occurrence), (_number, _offset, parent, _text, _kind) in items.items():
            parent_of[node_id] = parent  # items are in line order: the last line's parent wins
        for (node_id, occurrence), (number, offset, parent, copy_text, kind) in items.items():
            if parent_of[node_id] != parent:
                parsed.superseded += 1
                continue
            order = orders.get(parent)
            if occurrence is not None:
                assert order is not None
                if occurrence != order[0]:
                    parsed.skipped_items += 1  # its order line lost within the batch
                    continue
                extra = b"\\N\t\\N\t\\N\t%d\tf" % occurrence
            else:
                # Before every line of its order here: the order's first line in the batch, if no
                # earlier batch had the order, unless a later line of the same item belongs to it.
                fallback = (
                    order is not None and order[4] == order[0] and (node_id, order[0]) not in items
                )
                extra = b"\\N\t\\N\t\\N\t\\N\t" + (b"t" if fallback else b"f")
            item_part = part_cache.get(parent)
            if item_part is None:
                item_part = part_cache[parent] = part_of(parent, parts)
            rows[item_part].append(
                (number, _row(number, offset, kind, node_id, parent, copy_text, extra))
            )
        staged = []
        for part_rows, order_count in zip(rows, order_counts, strict=True):
            part_rows.sort(key=lambda row: row[0])
            staged.append(
                StagedPart(
                    rows=b"".join(row for _number, row in part_rows),
                    orders=order_count,
                    line_items=len(part_rows) - order_count,
                )
            )
        parsed.parts = tuple(staged)
        return parsed


def _row(
    number: int,
    offset: int | None,
    kind: bytes,
    node_id: str,
    parent: str | None,
    copy_text: bytes,
    extra: bytes,
) -> bytes:
    """One COPY text row: line_no, byte_offset, kind, id, parent_id, first_line, last_line,
    lines, occ_line, fallback (``extra``), doc."""
    return b"%d\t%s\t%s\t%s\t%s\t%s\t%s\n" % (
        number,
        b"\\N" if offset is None else b"%d" % offset,
        kind,
        _escape(node_id),
        b"\\N" if parent is None else _escape(parent),
        extra,
        copy_text,
    )


def _may_nest_too_deep(data: bytes) -> bool:
    """Whether a line of ``data`` might nest deeper than ``MAX_DEPTH`` (cheap, no false no): one
    with more opening brackets than that. Counted in C over the whole batch at once: every byte
    but the opening brackets and newlines is deleted, and the longest line left is measured."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False
    openings = data.translate(None, _NOT_OPENING)
    return max(map(len, openings.split(b"\n"))) > MAX_DEPTH


_NOT_OPENING = bytes(b for b in range(256) if b not in b"[{\n")


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no backtracking blow-up
_BRACKET = re.compile(rb"[\[\]{}]")


def _depth(content: bytes) -> int:
    """The deepest nesting of arrays and objects in ``content`` (brackets in strings ignored)."""
    deepest = depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', content)):
        if match.group() in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _parse_line(content: bytes) -> tuple[str | None, Any]:
    """``(None, value)`` if ``content`` is one JSON value in UTF-8, else ``(reason, None)``."""
    if not content.strip():
        return "empty line", None
    if _may_nest_too_deep(content) and _depth(content) > MAX_DEPTH:
        return f"nested too deep: more than {MAX_DEPTH} levels", None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}", None
    try:
        found = list(ijson.items(content, "", multiple_values=True, use_float=True))
    except ijson.JSONError as exc:
        return "invalid JSON: " + " ".join(str(exc).split())[:200], None
    except UnicodeError:
        # The bytes are UTF-8, so a \u escape decoded to text UTF-8 cannot hold.
        return "invalid JSON: a \\u escape of a lone surrogate", None
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
