"""Splitting a chunk stream into batches of whole lines with their positions."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from bulk.ingest.lines import batch_lines, count_lines, split_lines
from bulk.settings import EngineSettings


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


def _repeat(chunk: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes made of ``chunk`` repeated (the same object: the stream costs nothing)."""
    for _ in range(total // len(chunk)):
        yield chunk


def _time(data_chunks: Callable[[], Iterator[bytes]]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _batch in batch_lines(data_chunks(), batch_bytes=1 << 20):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def test_a_long_line_costs_about_what_as_many_short_lines_cost() -> None:
    size, chunk = 16 << 20, 8 << 10
    short = (b"x" * 127 + b"\n") * (chunk // 128)

    def one_line() -> Iterator[bytes]:
        yield from _repeat(b"y" * chunk, size)
        yield b"\n"

    ratio = _time(one_line) / _time(lambda: _repeat(short, size))
    assert ratio < 10, ratio  # re-scanning the buffer at every chunk made it ~40x


def test_a_line_over_the_limit_is_cut_to_a_prefix_in_bounded_memory() -> None:
    size = 64 << 20

    def stream() -> Iterator[bytes]:
        yield b'{"a":1}\n{"long":"'
        yield from _repeat(b"z" * (1 << 20), size)
        yield b'"}\n{"b":2}\n'

    tracemalloc.start()
    try:
        batches = [
            (b.first_line, b.start_byte, b.line_count, b.end_byte, b.too_long, b.data[:20])
            for b in batch_lines(stream(), batch_bytes=1 << 16, max_line_bytes=1 << 20)
        ]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak  # not the 64 MiB line
    long_end = 8 + 9 + size + 3
    assert batches == [
        (1, 0, 1, 8, False, b'{"a":1}\n'),
        (2, 8, 1, long_end, True, b'{"long":"zzzzzzzzzzz'),
        (3, long_end, 1, long_end + 8, False, b'{"b":2}\n'),
    ]


def test_the_line_limit_is_a_setting() -> None:
    assert EngineSettings().max_line_bytes == 16 << 20
    assert EngineSettings(max_line_bytes=1024).max_line_bytes == 1024
