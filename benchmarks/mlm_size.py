"""Which pretraining shape reaches the lower held-out masked-token loss in the same wall time.

For each architecture (``layers x width x heads x ffn``), a BERT is pretrained from random
weights through the project's loop (:func:`jtcse.training.mlm.pretrain`: dynamic masking, the
output layer at the masked positions only, AdamW with warm-up and linear decay, ``bf16:
auto``) for the number of steps that ``--minutes`` of wall time buys at the steps/s that
``benchmarks/mlm_throughput.py`` measured for it on this machine (its result file), then scored
once on the same 2,000 held-out sentences (the loss L of :mod:`jtcse.training.mlm`, nats). The
wall seconds each run really took are recorded beside, so the equal-time premise is checked.
Printed and written to ``benchmarks/results/mlm_size.json``.

Run from the project root on an otherwise idle machine, after the throughput benchmark::

    python benchmarks/mlm_size.py --minutes 6 --arch 6x384x12x1536 --arch 6x256x4x1024
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from corpus_arguments import add_model_and_corpus_arguments, corpus_path, first_sentences
from jtcse.atomic import write_json_atomic
from jtcse.training.config import TrainingConfig
from jtcse.training.mlm import pretrain
from mlm_throughput import architecture_settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
THROUGHPUT = PROJECT_ROOT / "benchmarks/results/mlm_throughput.json"
RESULTS = PROJECT_ROOT / "benchmarks/results/mlm_size.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_model_and_corpus_arguments(parser)
    parser.add_argument("--arch", action="append", required=True)
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--throughput", type=Path, default=THROUGHPUT)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    measured = json.loads(args.throughput.read_text(encoding="utf-8"))
    batch_size, max_length = measured["batch_size"], measured["max_length"]
    sentences = first_sentences(corpus_path(parser, args.corpus), measured["corpus_sentences"])
    results = {}
    for text in args.arch:
        rate = measured["results"].get(f"{text} sparse", {}).get("steps_per_second")
        if rate is None:
            parser.error(f"--arch {text}: not in {args.throughput} (run mlm_throughput.py first)")
        steps = max(1, round(rate * args.minutes * 60))
        config = TrainingConfig(
            learning_rate=args.learning_rate,
            batch_size=batch_size,
            num_epochs=None,
            max_steps=steps,
            schedule="linear",
            warmup_steps=min(100, steps // 10),
            weight_decay=0.01,
            bf16="auto",
            seed=0,
            eval_every=steps,
            log_every=max(1, steps // 20),
            checkpoint_every=steps,
        )
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as work_dir:
            _, result = pretrain(
                args.model,
                sentences,
                architecture_settings(text, max_length),
                config,
                Path(work_dir),
            )
        seconds = time.perf_counter() - started
        results[text] = {
            "steps": steps,
            "wall_seconds": round(seconds, 1),
            "held_out_loss": round(-result.best_score, 4),
            "training_loss_last": round(result.last_metrics.get("mlm", float("nan")), 4),
        }
        loss = results[text]["held_out_loss"]
        print(f"{text:16s} {steps:5d} steps in {seconds:6.0f} s: held-out loss {loss:.4f}")
    write_json_atomic(
        args.output,
        {
            "benchmark": "mlm_size",
            "minutes": args.minutes,
            "learning_rate": args.learning_rate,
            "batch_size": batch_size,
            "max_length": max_length,
            "throughput": str(args.throughput.relative_to(PROJECT_ROOT)),
            "machine": measured.get("machine"),
            "results": results,
        },
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
