"""Faults during a checkpoint write: a kill before the rename, and a full disk."""

from __future__ import annotations

import errno
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from jtcse.training import checkpoints
from jtcse.training.checkpoints import latest_checkpoint, read_checkpoint, write_checkpoint

STATE = {"weights": torch.arange(6.0).reshape(2, 3)}

# Writes step 2 in a real process that SIGKILLs itself between the finished temporary folder
# and its rename into place: what a kill -9 (or the OOM killer) at the worst moment leaves.
KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import torch
    from jtcse.training import checkpoints
    checkpoints.os.replace = lambda source, target: os.kill(os.getpid(), signal.SIGKILL)
    checkpoints.write_checkpoint(
        sys.argv[1], 2, {"weights": torch.zeros(2, 3)}, {"global_step": 2}
    )
    """
)


def test_a_kill_before_the_rename_leaves_the_previous_checkpoint(tmp_path: Path) -> None:
    previous = write_checkpoint(tmp_path, 1, STATE, {"global_step": 1})
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)])
    assert killed.returncode == -9
    leftovers = [path for path in tmp_path.iterdir() if path.name.startswith(".tmp-")]
    assert len(leftovers) == 1  # the complete but unrenamed step 2
    assert latest_checkpoint(tmp_path) == previous  # ... is never picked up
    objects, metadata = read_checkpoint(previous)
    torch.testing.assert_close(objects["weights"], STATE["weights"])
    assert metadata["global_step"] == 1
    write_checkpoint(tmp_path, 3, STATE, {"global_step": 3})  # the resumed run goes on
    assert sorted(path.name for path in tmp_path.iterdir()) == ["step-00000003"]


def test_a_full_disk_leaves_the_previous_checkpoint_and_no_folder(tmp_path, monkeypatch) -> None:
    previous = write_checkpoint(tmp_path, 1, STATE, {"global_step": 1})
    written = []

    def full_disk_on_the_second_file(path: Path, data: bytes) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        path.write_bytes(data[: len(data) // 2])

    monkeypatch.setattr(checkpoints, "write_bytes_durably", full_disk_on_the_second_file)
    with pytest.raises(OSError, match=r"No space left on device.*previous checkpoint is intact"):
        write_checkpoint(tmp_path, 2, {**STATE, "more": torch.ones(3)}, {"global_step": 2})
    assert [path.name for path in tmp_path.iterdir()] == [previous.name]
    assert read_checkpoint(previous)[1]["global_step"] == 1
