"""Tower-training throughput on 1 process against N processes (DDP, gloo on CPU, NCCL on GPU).

Each variant trains a tower from the base model with unsupervised SimCSE exactly as stage 1
does (:func:`jtcse.training.towers.tower_loss` through the shared loop
:func:`jtcse.training.train`: global batches of ``--batch-size`` sentences, two views, AdamW)
on the first ``--sentences`` non-empty lines of the training corpus, with no dev evaluation.
One process trains in this process; N processes are started by
:func:`jtcse.training.launcher.launch` (the torchrun engine) and split each global batch
between them.
Rank 0 stamps the time of every step; sentences/s = batch size x steps / seconds over the
steps after ``--warmup-steps`` (process start, model loading and the first steps are not
timed). On CPUs the N processes share the cores (each gets cores / N threads unless
OMP_NUM_THREADS is set), so on a 2-core machine this is a correctness run, not a speed-up.

Variants run interleaved (1, N, 1, N, ...) ``--repeats`` times because the machine may be
shared; the summary gives each variant's median and the ratio N / 1. Printed and written to
``benchmarks/results/ddp_throughput.json``.

Run from the project root (the full setting takes several minutes on 2 CPU cores)::

    /work/venv/bin/python benchmarks/ddp_throughput.py --processes 2 --sentences 1280
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from corpus_arguments import add_model_and_corpus_arguments, corpus_path, first_sentences
from jtcse.atomic import write_json_atomic
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.training import (
    DistributedSettings,
    TowerSettings,
    TrainingConfig,
    launch,
    sentence_collator,
    tower_loss,
    train,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = PROJECT_ROOT / "benchmarks" / "results" / "ddp_throughput.json"


def train_and_time(
    model_name: str, sentences: list[str], config: TrainingConfig, checkpoint_dir: Path
) -> dict[str, Any]:
    """One tower run (a worker under several processes); rank 0's step times and losses."""
    model, tokenizer = load_model_and_tokenizer(model_name)
    settings = TowerSettings()
    step_times: list[float] = []
    losses: list[float] = []

    def record(metrics: dict[str, float], step: int) -> None:  # called on rank 0 only
        step_times.append(time.perf_counter())
        losses.append(metrics["loss"])

    result = train(
        model,
        sentences,
        sentence_collator(tokenizer, settings.max_length, views=2),
        tower_loss(settings),
        config,
        checkpoint_dir,
        log_metrics=record,
        resume=False,
        description="ddp_throughput",
    )
    return {"step_times": step_times, "losses": losses, "steps": result.global_step}


def sentences_per_second(step_times: list[float], batch_size: int, warmup_steps: int) -> float:
    """batch_size x (timed steps) / seconds from the end of the last warm-up step (>= 1) to
    the end of the last step; ``step_times[i]`` is when step i + 1 ended."""
    timed = step_times[warmup_steps - 1 :]
    return batch_size * (len(timed) - 1) / (timed[-1] - timed[0])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_model_and_corpus_arguments(parser)
    parser.add_argument("--processes", type=int, default=2, help="N, compared with 1 process")
    parser.add_argument("--sentences", type=int, default=1280, help="corpus lines trained on")
    parser.add_argument("--batch-size", type=int, default=64, help="global batch, sentences")
    parser.add_argument("--warmup-steps", type=int, default=2, help="steps not timed, >= 1")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs per variant")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast, as conf/base")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args()
    args.corpus = corpus_path(parser, args.corpus)
    return args


def main() -> None:
    args = parse_args()
    sentences = first_sentences(args.corpus, args.sentences)
    config = TrainingConfig(
        learning_rate=3e-5,
        batch_size=args.batch_size,
        bf16=args.bf16,
        log_every=1,
        eval_every=10**9,
        checkpoint_every=10**9,
    )
    steps = len(range(0, len(sentences), args.batch_size))
    if args.warmup_steps < 1 or steps <= args.warmup_steps + 1:
        raise ValueError(
            f"--warmup-steps must be >= 1 and --sentences ({args.sentences}) must give more "
            f"than --warmup-steps + 1 steps; got {args.warmup_steps} and {steps} steps"
        )
    runs: dict[int, list[dict[str, Any]]] = {1: [], args.processes: []}
    with tempfile.TemporaryDirectory(prefix="ddp_throughput-") as scratch:
        for repeat in range(args.repeats):
            for processes in runs:
                checkpoint_dir = Path(scratch) / f"{processes}-{repeat}"
                start = time.perf_counter()
                run = launch(
                    DistributedSettings(num_processes=processes),
                    train_and_time,
                    args.model,
                    sentences,
                    config,
                    checkpoint_dir,
                )
                run["wall_seconds"] = time.perf_counter() - start
                run["sentences_per_second"] = sentences_per_second(
                    run.pop("step_times"), args.batch_size, args.warmup_steps
                )
                runs[processes].append(run)
                print(
                    f"{processes} process(es): {run['sentences_per_second']:.1f} sentences/s, "
                    f"{run['wall_seconds']:.1f} s in all, final loss {run['losses'][-1]:.4f}"
                )
    medians = {
        processes: statistics.median(run["sentences_per_second"] for run in variant)
        for processes, variant in runs.items()
    }
    ratio = medians[args.processes] / medians[1]
    print(
        f"median sentences/s: 1 process {medians[1]:.1f}, {args.processes} processes "
        f"{medians[args.processes]:.1f}, ratio {ratio:.2f}"
    )
    write_json_atomic(
        args.output,
        {
            "machine": {
                "platform": platform.platform(),
                "cpu_count": os.cpu_count(),
                "cuda_devices": torch.cuda.device_count(),
                "torch": torch.__version__,
            },
            "settings": {
                "model": args.model,
                "corpus": str(args.corpus),
                "sentences": args.sentences,
                "batch_size": args.batch_size,
                "steps": steps,
                "warmup_steps": args.warmup_steps,
                "repeats": args.repeats,
                "bf16": args.bf16,
            },
            "runs": {str(processes): variant for processes, variant in runs.items()},
            "median_sentences_per_second": {str(p): value for p, value in medians.items()},
            "ratio": ratio,
        },
    )
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
