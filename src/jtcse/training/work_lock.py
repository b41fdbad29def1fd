"""One run at a time per working directory: an exclusive lock on ``<work_dir>/.lock``.

Two runs of one stage on one working directory (two terminals, or ``kedro run`` beside
``dvc repro``) would interleave their checkpoints. The first run holds an ``flock`` on the
lock file while it trains and writes who it is into it (process id, host, start time,
command); a second run fails at once naming that holder. The operating system releases the
lock when its process ends however it ends, so the lock file a killed run leaves behind is
simply taken over by the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"


class WorkDirectoryLocked(RuntimeError):
    """Another live process holds the working directory."""


@contextmanager
def locked_work_directory(work_dir: Path | str) -> Iterator[None]:
    """Hold ``work_dir``'s lock for the block; :class:`WorkDirectoryLocked` names the holder
    when another process has it."""
    path = Path(work_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise WorkDirectoryLocked(
                f"{work_dir} is in use by another run ({_describe(handle.read())}); wait for "
                "it to finish or stop it, then run again (it resumes from its checkpoint)"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "command": " ".join(sys.argv),
            }
            handle.write(json.dumps(holder))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _describe(record: str) -> str:
    try:
        holder = json.loads(record)
        return (
            f"pid {holder['pid']} on {holder['host']}, started {holder['started']}: "
            f"{holder['command']}"
        )
    except (ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"
