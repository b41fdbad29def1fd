"""SIGTERM to a real training process: a checkpoint at the next step, a clear exit, a resume."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from jtcse.training.checkpoints import latest_checkpoint, read_checkpoint

TOTAL_STEPS = 150
# Trains a tiny tower; prints each logged step so that the test knows training is under way.
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
    path, checkpoint_dir = sys.argv[1], Path(sys.argv[2])
    model = load_pretrained_model(path)
    config = TrainingConfig(
        learning_rate=1e-4, batch_size=4, max_steps={TOTAL_STEPS}, log_every=1,
        checkpoint_every=10_000, bf16=False,
    )
    result = train(
        model, CORPUS * 200, sentence_collator(AutoTokenizer.from_pretrained(path), 16, views=2),
        tower_loss(TowerSettings(max_length=16)), config, checkpoint_dir,
        log_metrics=lambda metrics, step: print("step", step, flush=True),
    )
    print("finished", result.global_step, flush=True)
    """
)


def _trainer(tiny_bert_path: Path, checkpoint_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", TRAINER, str(tiny_bert_path), str(checkpoint_dir)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_writes_a_checkpoint_and_a_rerun_resumes_from_it(tiny_bert_path, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    process = _trainer(tiny_bert_path, checkpoints)
    assert process.stdout.readline().startswith("step ")  # training is under way
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0 and "finished" not in out
    assert "stopped by SIGTERM after step" in err and "run again to resume" in err
    stopped_at = read_checkpoint(latest_checkpoint(checkpoints))[1]["progress"]["global_step"]
    assert 1 <= stopped_at < TOTAL_STEPS  # no periodic checkpoint before the end: SIGTERM's

    rerun = _trainer(tiny_bert_path, checkpoints)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    steps = [int(line.split()[1]) for line in out.splitlines() if line.startswith("step ")]
    assert steps[0] == stopped_at + 1 and f"finished {TOTAL_STEPS}" in out
