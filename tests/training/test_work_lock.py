"""One run per working directory (jtcse.training.work_lock), against a real second process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jtcse.training.work_lock import WorkDirectoryLocked, locked_work_directory

HOLDER = textwrap.dedent(
    """
    import sys, time
    from jtcse.training.work_lock import locked_work_directory
    with locked_work_directory(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def _holder(work_dir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(work_dir)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_second_run_is_refused_naming_the_holder_until_it_dies(tmp_path: Path) -> None:
    work_dir = tmp_path / "work"
    holder = _holder(work_dir)
    try:
        refused = pytest.raises(WorkDirectoryLocked, match=f"another run \\(pid {holder.pid} on ")
        with refused, locked_work_directory(work_dir):
            pass
    finally:
        holder.kill()  # a killed run leaves its lock file behind
        holder.wait()
    assert (work_dir / ".lock").exists()
    with locked_work_directory(work_dir):  # ... and the next run takes it over
        pass


def test_training_on_a_held_work_directory_stops_before_any_checkpoint(
    tiny_bert_path: Path, sts_dev, tmp_path: Path
) -> None:
    from jtcse.training.config import TrainingConfig
    from jtcse.training.settings import TowerSettings
    from jtcse.training.towers import train_tower
    from tests.fixtures.training_runs import CORPUS

    work_dir = tmp_path / "work"
    holder = _holder(work_dir)
    try:
        with pytest.raises(WorkDirectoryLocked, match=str(work_dir)):
            train_tower(
                str(tiny_bert_path),
                CORPUS,
                sts_dev,
                TowerSettings(max_length=16),
                TrainingConfig(learning_rate=1e-4, batch_size=4, max_steps=1),
                work_dir,
            )
    finally:
        holder.kill()
        holder.wait()
    assert not (work_dir / "checkpoints").exists()
