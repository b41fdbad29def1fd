"""What the whole-process benchmarks share: one command run to its end and timed."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def timed_run(command: Sequence[str], cwd: Path, environment: Mapping[str, str]) -> float:
    """Run ``command`` in ``cwd`` with ``environment``, output captured; return its wall
    seconds. Raises RuntimeError with the exit code and the end of its standard error when it
    fails."""
    start = time.perf_counter()
    finished = subprocess.run(
        list(command), cwd=cwd, env=dict(environment), capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited with {finished.returncode}:\n{finished.stderr[-3000:]}"
        )
    return seconds
