"""Sentences from text, one per line, so that row i of the output is line i of the input.

Lines end with ``\\n`` or ``\\r\\n``; the last line may have no newline; a blank line is a
sentence too (the empty string, or whitespace), never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO


def read_lines(source: str | Path | BinaryIO, name: str | None = None) -> Iterator[str]:
    """Yield each line of a UTF-8 file (or an open binary stream such as
    ``sys.stdin.buffer``) without its line ending; only ``\n`` ends a line, so a lone
    ``\r`` stays inside its sentence. A line that is not UTF-8 raises ValueError naming
    ``name`` (default: the file's path, or the stream's name) and the line number (from 1)."""
    if isinstance(source, str | Path):
        with Path(source).open("rb") as file:
            yield from read_lines(file, name or str(source))
        return
    for number, raw in enumerate(source, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{name or getattr(source, 'name', 'input')}:{number}: not UTF-8: byte "
                f"{error.start + 1} of the line is 0x{raw[error.start]:02x} ({error.reason})"
            ) from None
        line = line[:-1] if line.endswith("\n") else line
        yield line[:-1] if line.endswith("\r") else line


def count_lines(path: str | Path) -> int:
    """How many lines :func:`read_lines` yields for ``path`` (read in binary blocks)."""
    newlines, last = 0, b"\n"
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            newlines += block.count(b"\n")
            last = block[-1:]
    return newlines + (last != b"\n")


def check_no_blank_lines(lines: Iterable[str], name: str) -> Iterator[str]:
    """Pass the lines on; raise ValueError naming ``name`` and the line number (from 1) of
    the first blank line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise ValueError(f"{name}:{number}: blank line (--no-blank-lines)")
        yield line
