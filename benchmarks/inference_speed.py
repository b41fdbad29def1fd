"""Inference speed: the two-tower ensemble against each student backend, side by side.

Encodes every distinct sentence of the STS-7 evaluation (STS12-16 "all", STS-B and SICK-R test,
STS-B dev) with

(a) the JTCSE two-tower ensemble in PyTorch fp32 (what the published code does at inference),
(b) the distilled student: PyTorch fp32, PyTorch bf16, ONNX Runtime fp32, ONNX Runtime int8,

in one process, variants interleaved over ``--repeats`` rounds (the machine is noisy), and
prints sentences/s, the ratio to (a) and each variant's STS-7 average. Model loading is not
timed. Writes ``benchmarks/results/inference_speed.json``.

    python benchmarks/inference_speed.py            # after `dvc repro` (needs the models)
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import load_encoder
from jtcse.evaluation.sts import evaluate_sts, evaluation_pairs
from jtcse.paths import senteval_root

MODELS = Path("data/06_models")
VARIANTS = {
    "ensemble_fp32": ([MODELS / "jtcse_tower_1", MODELS / "jtcse_tower_2"], False),
    "student_fp32": (MODELS / "student", False),
    "student_bf16": (MODELS / "student", True),
    "student_onnx_fp32": (MODELS / "student_onnx", False),
    "student_onnx_int8": (MODELS / "student_onnx_int8", False),
}
BASELINE = "ensemble_fp32"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="SentEval folder")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--output", type=Path, default=Path("benchmarks/results/inference_speed.json")
    )
    args = parser.parse_args()

    table = read_sts_tasks(args.data or senteval_root(), splits=EVALUATION_SPLITS)
    pairs = evaluation_pairs(table)
    sentences = list(dict.fromkeys([*pairs["sentence1"], *pairs["sentence2"]]))
    encoders = {name: load_encoder(paths, bf16=bf16) for name, (paths, bf16) in VARIANTS.items()}
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_index in range(args.repeats):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.encode(sentences, args.batch_size)
            seconds[name].append(time.perf_counter() - started)
            print(f"round {round_index + 1}/{args.repeats} {name}: {seconds[name][-1]:.1f} s")

    rows = {}
    for name, encoder in encoders.items():
        rate = len(sentences) / statistics.median(seconds[name])
        average = evaluate_sts(table, lambda batch, e=encoder: e.encode(batch, 128)).scores["avg"]
        rows[name] = {"sentences_per_second": rate, "seconds": seconds[name], "sts7_avg": average}
    baseline = rows[BASELINE]["sentences_per_second"]
    print(f"\n{len(sentences)} sentences")
    print("| variant | sentences/s | ratio to ensemble fp32 | STS-7 avg |\n|---|---|---|---|")
    for name, row in rows.items():
        row["ratio_to_ensemble_fp32"] = row["sentences_per_second"] / baseline
        print(
            f"| {name} | {row['sentences_per_second']:.0f} | "
            f"{row['ratio_to_ensemble_fp32']:.2f}x | {row['sts7_avg']:.2f} |"
        )
    write_json_atomic(args.output, {"sentences": len(sentences), "variants": rows})
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
