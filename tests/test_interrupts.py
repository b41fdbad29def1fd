"""A run stopped by a signal: SIGTERM and SIGINT raise RunInterrupted in the main thread, and
the run hook marks the MLflow run KILLED for an interruption (training's own SIGTERM stop
included), leaving an error's FAILED as it is. tests/pipelines/test_interrupted_runs.py sends
real signals to a real ``kedro run``."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from jtcse.hooks import InterruptedRunHook
from jtcse.interrupts import RunInterrupted
from jtcse.training.preemption import TrainingPreempted

# In a fresh interpreter: a signal raised in the test process itself would meet whatever
# handlers the earlier tests' libraries left there.
SIGNAL_CHECK = """
import signal, sys
from jtcse.interrupts import RunInterrupted, raise_on_interrupt, restore_handlers

signum = signal.Signals[sys.argv[1]]
before = signal.getsignal(signum)
previous = raise_on_interrupt()
try:
    try:
        signal.raise_signal(signum)
    except RunInterrupted as error:
        print(error)
    signal.raise_signal(signum)  # a repeat while the first unwinds is ignored
finally:
    restore_handlers(previous)
print(signal.getsignal(signum) == before)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_raises_once_and_the_handlers_come_back(signum: signal.Signals) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SIGNAL_CHECK, signum.name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [f"run interrupted by {signum.name}", "True"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RunInterrupted("run interrupted by SIGINT"), "KILLED"),
        (TrainingPreempted("stopped by SIGTERM after step 3; run again to resume"), "KILLED"),
        (ValueError("evaluation.batch_size: expected int"), "FAILED"),
    ],
)
def test_the_hook_marks_an_interrupted_run_killed(
    tmp_path: Path, error: Exception, status: str
) -> None:
    handler = signal.getsignal(signal.SIGTERM)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    hook = InterruptedRunHook()
    try:
        # an experiment of this database: an earlier test may have set another one active
        experiment = mlflow.create_experiment("interrupted")
        run_id = mlflow.start_run(experiment_id=experiment).info.run_id  # as kedro-mlflow
        hook.before_pipeline_run()
        mlflow.end_run("FAILED")  # as kedro-mlflow's on_pipeline_error
        hook.on_pipeline_error(error)
        assert mlflow.get_run(run_id).info.status == status
    finally:
        mlflow.set_tracking_uri(None)
    assert signal.getsignal(signal.SIGTERM) == handler  # restored
