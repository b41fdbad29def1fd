"""SIGTERM and Ctrl-C during a ``kedro run`` become an exception, :class:`RunInterrupted`.

SIGTERM's default ends the process where it stands: the run's MLflow run stays RUNNING for
ever and a file being written is left half-written. Ctrl-C's KeyboardInterrupt is no
``Exception``, so Kedro skips its ``on_pipeline_error`` hooks and MLflow's exit handler marks
the run FINISHED. Raised as an ``Exception`` instead, either signal takes Kedro's error path:
no output of the running node is saved, every atomic write (:mod:`jtcse.atomic`) removes its
temporary file, and the run's hooks end its MLflow run (KILLED, :mod:`jtcse.hooks`).

The training loop serves SIGTERM itself while it trains (:mod:`jtcse.training.preemption`: a
checkpoint, then :class:`~jtcse.training.preemption.TrainingPreempted`); both are
:func:`interruptions <is_interruption>`.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from jtcse.training.preemption import TrainingPreempted

INTERRUPT_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(Exception):
    """A run stopped by SIGTERM or SIGINT (Ctrl-C)."""


def raise_on_interrupt() -> dict[int, Any]:
    """From now on the first SIGTERM or SIGINT raises :class:`RunInterrupted` in the main
    thread (a repeat while it unwinds is ignored). Returns the previous handlers, for
    :func:`restore_handlers`; off the main thread (where Python refuses signal handlers)
    nothing changes and the result is empty."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    raised = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if not raised.is_set():
            raised.set()
            raise RunInterrupted(f"run interrupted by {signal.Signals(signum).name}")

    return {signum: signal.signal(signum, handler) for signum in INTERRUPT_SIGNALS}


def restore_handlers(previous: dict[int, Any]) -> None:
    """Put back the handlers that :func:`raise_on_interrupt` replaced."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def is_interruption(error: BaseException) -> bool:
    """Whether ``error`` stopped a run on a signal (SIGTERM, Ctrl-C), not on a fault."""
    return isinstance(error, RunInterrupted | TrainingPreempted)
