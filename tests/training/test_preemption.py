"""SIGTERM to a real training process: a checkpoint at the next step, a clear exit, a resume."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from jtcse.training.checkpoints import latest_checkpoint, read_checkpoint

TOTAL_STEPS = 6
# Trains a tiny tower and prints each logged step. With a third argument, it waits after the
# first step's line for a line on stdin: the test sends SIGTERM, then that line, so the
# signal always arrives during step 1 (the run can neither end first nor be stopped later).
TRAINER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    import torch
    from transformers import AutoTokenizer
    from jtcse.training import TowerSettings, TrainingConfig, train
    from jtcse.training.batching import sentence_collator
    from jtcse.training.towers import tower_loss
    from jtcse.modeling.loading import load_pretrained_model
    from tests.fixtures.training_runs import CORPUS

    torch.set_num_threads(1)
    path, checkpoint_dir, handshake = sys.argv[1], Path(sys.argv[2]), len(sys.argv) > 3

    def log_step(metrics, step):
        print("step", step, flush=True)
        if handshake and step == 1:
            sys.stdin.readline()  # returns once the test has sent SIGTERM
    model = load_pretrained_model(path)
    config = TrainingConfig(
        learning_rate=1e-4, batch_size=4, max_steps={TOTAL_STEPS}, log_every=1,
        checkpoint_every=10_000, bf16=False,
    )
    result = train(
        model, CORPUS, sentence_collator(AutoTokenizer.from_pretrained(path), 16, views=2),
        tower_loss(TowerSettings(max_length=16)), config, checkpoint_dir,
        log_metrics=log_step,
    )
    print("finished", result.global_step, flush=True)
    """
)


def _trainer(tiny_bert_path: Path, checkpoint_dir: Path, *handshake: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", TRAINER, str(tiny_bert_path), str(checkpoint_dir), *handshake],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_writes_a_checkpoint_and_a_rerun_resumes_from_it(tiny_bert_path, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    process = _trainer(tiny_bert_path, checkpoints, "--handshake")
    assert process.stdout.readline() == "step 1\n"  # step 1 done, the trainer waits on stdin
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate("go\n", timeout=120)  # the signal is delivered first
    assert process.returncode != 0 and "finished" not in out
    assert f"stopped by SIGTERM after step 1 of {TOTAL_STEPS}" in err
    assert "run again to resume" in err
    # no periodic checkpoint before the end: this one is SIGTERM's
    assert read_checkpoint(latest_checkpoint(checkpoints))[1]["progress"]["global_step"] == 1

    rerun = _trainer(tiny_bert_path, checkpoints)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    steps = [int(line.split()[1]) for line in out.splitlines() if line.startswith("step ")]
    assert steps == list(range(2, TOTAL_STEPS + 1)) and f"finished {TOTAL_STEPS}" in out
