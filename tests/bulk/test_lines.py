"""Splitting a chunk stream into batches of whole lines with their positions."""

from __future__ import annotations

import pytest

from bulk.lines import batch_lines, count_lines, split_lines


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("chunk_size", [1, 3, 1000])
@pytest.mark.parametrize("batch_bytes", [1, 5, 12, 1 << 20])
def test_batches_cover_the_stream_on_line_boundaries(chunk_size: int, batch_bytes: int) -> None:
    data = b"aa\nbbbb\r\n\nccccccccc\nd"
    batches = list(batch_lines(_chunks(data, chunk_size), batch_bytes=batch_bytes))
    assert b"".join(b.data for b in batches) == data
    assert all(b.data.endswith(b"\n") for b in batches[:-1])
    assert batches[-1].at_eof and not any(b.at_eof for b in batches[:-1])
    lines = [line for b in batches for line in b.lines()]
    assert lines == [(1, 0, b"aa"), (2, 3, b"bbbb"), (3, 9, b""), (4, 10, b"ccccccccc"),
                     (5, 20, b"d")]  # fmt: skip
    for batch in batches:
        assert batch.line_offsets() == [offset for _n, offset, _c in batch.lines()]
    assert batches[-1].end_line == 5 and batches[-1].end_byte == len(data)


def test_resume_positions_and_counts() -> None:
    batches = list(batch_lines([b"x\ny\n"], first_line=8, start_byte=100, batch_bytes=2))
    assert [(b.first_line, b.start_byte, b.line_count) for b in batches] == [
        (8, 100, 1),
        (9, 102, 1),
    ]
    assert list(batch_lines([], batch_bytes=4)) == []
    assert count_lines(b"") == 0 and count_lines(b"a") == 1 and count_lines(b"a\n") == 1
    assert list(split_lines(b"a\r\n", first_line=1, start_byte=0)) == [(1, 0, b"a")]
