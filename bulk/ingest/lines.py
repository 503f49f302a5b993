"""The ingest's first stage: a stream of byte chunks cut into batches of whole JSONL lines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineBatch:
    """Consecutive complete lines of the file: ``data`` starts at ``start_byte``.

    Every line in ``data`` ends with ``\\n`` except, possibly, the file's last one.
    """

    first_line: int  # 1-based number of the first line
    start_byte: int  # file offset of the first byte of ``data``
    data: bytes
    line_count: int
    at_eof: bool  # the stream ended right after this batch
    # A line over the limit: ``data`` is its first bytes only, ``skipped`` the rest of its bytes.
    skipped: int = 0
    problem: str | None = None

    @property
    def too_long(self) -> bool:
        """This batch is one line over the limit, cut to a prefix."""
        return self.problem is not None

    @property
    def end_line(self) -> int:
        """Number of the last line of the batch (the checkpoint's line after committing it)."""
        return self.first_line + self.line_count - 1

    @property
    def end_byte(self) -> int:
        """File offset just past the batch (the checkpoint's byte after committing it)."""
        return self.start_byte + len(self.data) + self.skipped

    @property
    def size(self) -> int:
        """Bytes of the file the batch covers."""
        return len(self.data) + self.skipped

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        """Each line as ``(line_number, byte_offset, content)``, without its line ending."""
        return split_lines(self.data, first_line=self.first_line, start_byte=self.start_byte)


def split_lines(
    data: bytes, *, first_line: int, start_byte: int
) -> Iterator[tuple[int, int, bytes]]:
    """Yield ``(line_number, byte_offset, content)`` for every line of ``data``."""
    number = first_line
    position = 0
    size = len(data)
    while position < size:
        newline = data.find(b"\n", position)
        end = size if newline == -1 else newline
        content = data[position:end]
        if content.endswith(b"\r"):
            content = content[:-1]
        yield number, start_byte + position, content
        number += 1
        position = end + 1


def count_lines(data: bytes) -> int:
    """Number of lines in ``data`` (a final line without ``\\n`` counts)."""
    if not data:
        return 0
    count = data.count(b"\n")
    return count if data.endswith(b"\n") else count + 1


def batch_lines(
    chunks: Iterable[bytes],
    *,
    first_line: int = 1,
    start_byte: int = 0,
    batch_bytes: int = 4 << 20,
    max_line_bytes: int | None = None,
) -> Iterator[LineBatch]:
    """Group the stream into batches of about ``batch_bytes`` (at least one whole line each).

    ``first_line``/``start_byte`` are the position of the stream's first byte in the file. A batch
    is cut at the last newline once ``batch_bytes`` are buffered; the rest of the stream, at its
    end, forms the last batch (its final line may lack a newline). Every byte is searched for a
    newline once, so a long line costs linear time. A line longer than ``max_line_bytes`` (at
    least ``batch_bytes``) is not kept: its bytes are skipped as they stream by and it comes as a
    batch of its own holding only its first ``PREFIX_BYTES`` (``problem`` says why).
    """
    if batch_bytes <= 0:
        raise ValueError("batch_bytes must be positive")
    if max_line_bytes is not None and max_line_bytes < batch_bytes:
        raise ValueError("max_line_bytes must be at least batch_bytes")
    limit = max_line_bytes
    buffer = bytearray()
    newline = -1  # index in ``buffer`` of its last newline, -1 if none
    line = first_line
    offset = start_byte
    skipping: _LongLine | None = None
    for chunk in chunks:
        if not chunk:
            continue
        if skipping is not None:
            end = chunk.find(b"\n")
            if end == -1:
                skipping.size += len(chunk)
                continue
            skipping.size += end + 1
            yield skipping.batch(line, offset, at_eof=False, limit=limit)
            line += 1
            offset += skipping.size
            skipping = None
            chunk = chunk[end + 1 :]
        searched = len(buffer)
        buffer += chunk
        found = buffer.rfind(b"\n", searched)
        if found != -1:
            newline = found
        while len(buffer) >= batch_bytes and newline != -1:
            cut = buffer.rfind(b"\n", 0, batch_bytes)
            if cut == -1:
                cut = buffer.find(b"\n", batch_bytes)  # one line longer than a batch
                if limit is not None and _content_size(buffer, cut) > limit:
                    too_long = _LongLine(bytes(buffer[:PREFIX_BYTES]), cut + 1)
                    yield too_long.batch(line, offset, at_eof=False, limit=limit)
                    line += 1
                    offset += cut + 1
                    del buffer[: cut + 1]
                    newline -= cut + 1
                    continue
            data = bytes(buffer[: cut + 1])
            del buffer[: cut + 1]
            newline -= cut + 1
            count = data.count(b"\n")
            yield LineBatch(line, offset, data, count, at_eof=False)
            line += count
            offset += len(data)
        if limit is not None and len(buffer) - newline - 1 > limit:
            if newline != -1:  # the complete lines before the long one go first
                data = bytes(buffer[: newline + 1])
                del buffer[: newline + 1]
                count = data.count(b"\n")
                yield LineBatch(line, offset, data, count, at_eof=False)
                line += count
                offset += len(data)
                newline = -1
            skipping = _LongLine(bytes(buffer[:PREFIX_BYTES]), len(buffer))
            buffer = bytearray()
    if skipping is not None:
        yield skipping.batch(line, offset, at_eof=True, limit=limit)
    elif buffer:
        data = bytes(buffer)
        yield LineBatch(line, offset, data, count_lines(data), at_eof=True)


PREFIX_BYTES = 1024
"""How much of a line over the limit is kept (for its dead letter)."""


def _content_size(buffer: bytearray, newline: int) -> int:
    """Length of the line that ends at ``buffer[newline]``, without its line ending."""
    return newline - 1 if newline > 0 and buffer[newline - 1] == 0x0D else newline


@dataclass
class _LongLine:
    """A line over the limit being skipped: its first bytes and its size so far (with ending)."""

    prefix: bytes
    size: int

    def batch(self, line: int, offset: int, *, at_eof: bool, limit: int | None) -> LineBatch:
        length = self.size if at_eof else self.size - 1  # without its newline
        return LineBatch(
            line,
            offset,
            self.prefix,
            1,
            at_eof=at_eof,
            skipped=self.size - len(self.prefix),
            problem=f"line too long: {length} bytes (limit {limit})",
        )
