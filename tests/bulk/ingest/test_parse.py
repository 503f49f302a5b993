"""Parsing and classifying a batch with ijson, and the COPY rows built from it."""

from __future__ import annotations

import pytest

from bulk.ingest.lines import LineBatch, count_lines
from bulk.ingest.parse import ParsedBatch, _build_line_by_line, parse_batch
from tests.support.ingest import item, jsonl, order


def _batch(data: bytes, first_line: int = 1, start_byte: int = 0) -> LineBatch:
    return LineBatch(first_line, start_byte, data, count_lines(data), at_eof=True)


def _rows(parsed: ParsedBatch) -> list[list[bytes]]:
    return [row.split(b"\t") for row in parsed.rows.split(b"\n")[:-1]]


def test_clean_batch_is_classified_with_positions_and_original_bytes() -> None:
    data = jsonl([order(1), item(11, 1), b'{"id":\t"gid://shopify/Order/2", "n": "a\\\\b\\"c"}'])
    parsed = parse_batch(_batch(data, first_line=5, start_byte=100))
    assert parsed.bad == [] and (parsed.orders, parsed.line_items) == (2, 1)
    lines = data.split(b"\n")
    rows = _rows(parsed)
    assert [row[:5] for row in rows] == [
        [b"5", b"100", b"o", b"gid://shopify/Order/1", b"\\N"],
        [b"6", b"%d" % (101 + len(lines[0])), b"l", b"gid://shopify/LineItem/11",
         b"gid://shopify/Order/1"],
        [b"7", b"%d" % (102 + len(lines[0]) + len(lines[1])), b"o", b"gid://shopify/Order/2",
         b"\\N"],
    ]  # fmt: skip
    # COPY text format: backslashes doubled, a tab written as \t, nothing else touched.
    assert rows[2][10:] == [b'{"id":\\t"gid://shopify/Order/2", "n": "a\\\\\\\\b\\\\"c"}']
    assert rows[0][10] == lines[0]


def test_bad_lines_are_pinpointed_with_number_offset_and_reason() -> None:
    lines: list[bytes | dict[str, object]] = [
        order(1),
        b'{"id": "gid://shopify/Order/2", "name": ',
        b"[1, 2]",
        b'{"id": 17}',
        b'{"id": "gid://shopify/Customer/5"}',
        b'{"id": "gid://shopify/LineItem/5"}',
        b'{"id": "gid://shopify/LineItem/6", "__parentId": "gid://shopify/Product/1"}',
        b'{"id": "gid://shopify/Order/6", "name": "\xff"}',
        b'{"id": "gid://shopify/Order/7"} {"id": "gid://shopify/Order/8"}',
        b"",
        item(12, 1),
    ]
    data = jsonl(lines)
    parsed = parse_batch(_batch(data))
    offsets = [0]
    for line in data.split(b"\n")[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    assert [(bad.line_number, bad.byte_offset) for bad in parsed.bad] == [
        (n, offsets[n - 1]) for n in range(2, 11)
    ]
    reasons = [bad.reason for bad in parsed.bad]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1:6] == [
        "not a JSON object",
        "missing or non-string id",
        "unknown gid type: gid://shopify/Customer/5",
        "line item without __parentId",
        "line item parent is not an order: gid://shopify/Product/1",
    ]
    assert reasons[6].startswith("invalid UTF-8")
    assert reasons[7] == "invalid JSON: not exactly one value on the line"
    assert reasons[8] == "empty line"
    assert parsed.bad[6].line == '{"id": "gid://shopify/Order/6", "name": "\\xff"}'
    assert (parsed.orders, parsed.line_items) == (1, 1)


@pytest.mark.parametrize(
    "data",
    [
        jsonl([order(1), item(11, 1), order(2), item(11, 2)]),  # a repeated id: the last wins
        b'{"id":"gid://shopify/Order/1",\n"name":"x"}\n{"id":"gid://shopify/Order/2"}\n',
        b'{"id":"gid://shopify/Order/1"}\r\n{"id":"gid://shopify/Order/2"}',
        b'{"id":"gid://shopify/Order/1"}\n{"id":"gid://shopify/Order/2"}\r\n',
        b'{"id":"gid://shopify/Order/1\\t\\\\x"}\n',
    ],
)
def test_batch_parse_agrees_with_line_by_line(data: bytes) -> None:
    batch = _batch(data)
    fast, slow = parse_batch(batch), _build_line_by_line(batch)
    assert (fast.rows, fast.orders, fast.line_items, fast.bad) == (
        slow.rows,
        slow.orders,
        slow.line_items,
        slow.bad,
    )


def test_repeated_id_keeps_the_last_line_only() -> None:
    parsed = parse_batch(_batch(jsonl([item(11, 1), order(1), item(11, 2)])))
    rows = _rows(parsed)
    assert [(row[0], row[3]) for row in rows] == [
        (b"2", b"gid://shopify/Order/1"),
        (b"3", b"gid://shopify/LineItem/11"),
    ]
    assert (parsed.orders, parsed.line_items) == (1, 1)


def test_escaped_id_is_escaped_for_copy() -> None:
    parsed = parse_batch(_batch(b'{"id":"gid://shopify/Order/1\\t\\\\x\\n"}\n'))
    assert _rows(parsed)[0][3] == b"gid://shopify/Order/1\\t\\\\x\\n"
