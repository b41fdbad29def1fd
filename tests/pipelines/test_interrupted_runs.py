"""SIGTERM or Ctrl-C to a real ``kedro run``: the run's MLflow run ends KILLED, the output
ends with one line that says so, and no output (nor a temporary file) is left behind."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_stage_ends_its_run_killed_and_leaves_no_output(
    test_project: Path, start_kedro_run, signum: signal.Signals
) -> None:
    process = start_kedro_run(
        "--pipelines", "zero_shot", "--nodes", "convert_mteb_tasks,zero_shot_base"
    )
    results = test_project / "data" / "08_reporting" / "mteb" / "results"
    deadline = time.monotonic() + 300
    while not list(results.rglob("STS12.json")):  # the base family's mteb run is under way
        assert process.poll() is None, "the run ended before its first mteb result"
        assert time.monotonic() < deadline, "no mteb result after 300 s"
        time.sleep(0.05)
    process.send_signal(signum)
    output, _ = process.communicate(timeout=300)

    assert process.returncode != 0
    with sqlite3.connect(test_project / "mlflow.db") as database:
        assert database.execute("SELECT status FROM runs").fetchall() == [("KILLED",)]
    assert output.strip().splitlines()[-1] == f"jtcse: error: run interrupted by {signum.name}"
    assert [path for path in test_project.rglob("*") if ".tmp" in path.name] == []
