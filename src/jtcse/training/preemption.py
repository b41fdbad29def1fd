"""SIGTERM, the notice a cluster scheduler or a spot instance gives before it kills a job.

While :func:`stop_requests` is active, SIGTERM does not kill the process: it sets a flag
that the training loop reads at the end of each step; the loop then writes a checkpoint and
raises :class:`TrainingPreempted`, and a rerun (``dvc repro``, ``kedro run``) resumes from
that checkpoint. A second SIGTERM while the first is being served is ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class TrainingPreempted(RuntimeError):
    """Training stopped on SIGTERM after writing a checkpoint."""


@contextmanager
def stop_requests() -> Iterator[Callable[[], bool]]:
    """Within the block SIGTERM only sets a flag; yields the function that reads it.

    Signal handlers belong to the main thread: elsewhere (e.g. a threaded runner) SIGTERM
    keeps its usual effect and the function always answers False.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    received = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.set())
    try:
        yield received.is_set
    finally:
        signal.signal(signal.SIGTERM, previous)
