"""Atomic and durable writing: a reader never sees a half-written file or folder.

Files are written to a temporary sibling, flushed, fsynced and renamed onto their path
(``os.replace``, atomic on one file system); folders are written aside and swapped in. Every
artefact of the project (reports, data files, model folders, ONNX files, checkpoints) is
written through this module.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary sibling path of ``path`` for a writer that takes a file name; when
    the block succeeds the file is renamed onto ``path``. On an error the temporary file is
    removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def open_atomic(path: Path | str, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; when the block succeeds it is flushed,
    fsynced and renamed onto ``path``. On an error the temporary file is removed and ``path``
    is left as it was. Text mode writes UTF-8 with ``\\n`` newlines; the file gets the usual
    umask permissions."""
    text_options = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    with atomic_path(path) as temporary, open(temporary, mode, **text_options) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with open_atomic(path) as handle:
        handle.write(text)
    return Path(path)


def write_json_atomic(path: Path | str, payload: object) -> Path:
    """Write ``payload`` as indented JSON, atomically."""
    return write_text_atomic(path, json.dumps(payload, indent=2) + "\n")


def write_lines_atomic(path: Path | str, lines: Iterable[str]) -> Path:
    """Write ``lines`` (each followed by ``\\n``, UTF-8) to ``path`` atomically."""
    with open_atomic(path) as handle:
        for line in lines:
            handle.write(f"{line}\n")
    return Path(path)


def replace_folder_atomically(folder: Path | str, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary)`` on a fresh sibling folder, then swap it in place of ``folder``.

    The old folder (if any) is renamed aside before the new one is renamed in, then deleted;
    both renames are atomic on one file system.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = folder.with_name(f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        write(temporary)
        aside = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
        if folder.exists():
            folder.rename(aside)
        temporary.rename(folder)
        shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return folder


def write_bytes_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (in place, not renamed) and fsync it: for files inside a
    temporary folder that is itself renamed in once complete."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directory(path: Path) -> None:
    """Make a rename or new entries in ``path`` durable (POSIX only; a no-op elsewhere)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
