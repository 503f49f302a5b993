"""Split a stream of byte chunks into batches of complete JSONL lines, each with its position."""

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

    @property
    def end_line(self) -> int:
        """Number of the last line of the batch (the checkpoint's line after committing it)."""
        return self.first_line + self.line_count - 1

    @property
    def end_byte(self) -> int:
        """File offset just past the batch (the checkpoint's byte after committing it)."""
        return self.start_byte + len(self.data)

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        """Each line as ``(line_number, byte_offset, content)``, without its line ending."""
        return split_lines(self.data, first_line=self.first_line, start_byte=self.start_byte)

    def line_offsets(self) -> list[int]:
        """File offset of every line of the batch, in order."""
        data = self.data
        offsets = [self.start_byte]
        find = data.find
        position = find(b"\n")
        end = len(data) - 1
        while position != -1 and position < end:
            offsets.append(self.start_byte + position + 1)
            position = find(b"\n", position + 1)
        return offsets


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
    chunks: Iterable[bytes], *, first_line: int = 1, start_byte: int = 0, batch_bytes: int = 4 << 20
) -> Iterator[LineBatch]:
    """Group the stream into batches of about ``batch_bytes`` (at least one whole line each).

    ``first_line``/``start_byte`` are the position of the stream's first byte in the file. A batch
    is cut at the last newline once ``batch_bytes`` are buffered; the rest of the stream, at its
    end, forms the last batch (its final line may lack a newline).
    """
    if batch_bytes <= 0:
        raise ValueError("batch_bytes must be positive")
    buffer = bytearray()
    line = first_line
    offset = start_byte
    for chunk in chunks:
        if not chunk:
            continue
        buffer += chunk
        while len(buffer) >= batch_bytes:
            cut = buffer.rfind(b"\n", 0, batch_bytes)
            if cut == -1:
                cut = buffer.find(b"\n", batch_bytes)
                if cut == -1:
                    break  # one line longer than a batch: wait for its end
            data = bytes(buffer[: cut + 1])
            del buffer[: cut + 1]
            count = data.count(b"\n")
            yield LineBatch(line, offset, data, count, at_eof=False)
            line += count
            offset += len(data)
    if buffer:
        data = bytes(buffer)
        yield LineBatch(line, offset, data, count_lines(data), at_eof=True)
