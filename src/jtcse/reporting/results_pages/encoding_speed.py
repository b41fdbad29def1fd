"""The encoding-speed tables of the Benchmarks page: sentences per second (sent/s) of each
backend, precision and option, their ratios to a reference, the accuracy kept (STS-7 avg,
Spearman x 100; cosine to the reference's embeddings), and where one encode's time goes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jtcse.reporting.results_pages.formatting import (
    MISSING,
    Section,
    fixed,
    markdown_table,
    number,
    percent,
    yes_no,
)
from jtcse.reporting.results_pages.machines import machine_of
from jtcse.reporting.results_pages.reading import ResultFile

# Titles of the variant-speed benchmarks by their ``benchmark`` field
SPEED_TITLES = {
    "backend_speed": "Every backend against sentence-transformers",
    "encode_speed": "Our encode paths against sentence-transformers",
}


def variant_speed(result: ResultFile, project: Path) -> Section:
    """backend_speed*.json, encode_speed*.json: sent/s, ratio to the best
    sentence-transformers variant, STS-7 avg per variant, fastest first."""
    data = result.data
    rates = data.get("sentences_per_second", {})
    ratios = data.get("ratio_to_best_sentence_transformers", {})
    averages = data.get("sts7_avg", {})
    rows = sorted(
        (
            [name, fixed(rate, 0), fixed(ratios.get(name)), fixed(averages.get(name))]
            for name, rate in rates.items()
        ),
        key=lambda row: -(number(rates.get(row[0])) or 0.0),
    )
    benchmark = data.get("benchmark", result.stem)
    return Section(
        title=f"{SPEED_TITLES.get(benchmark, benchmark)}: `{result.stem}`",
        sources=[result.source],
        machine=machine_of(result),
        body=(
            f"{data.get('sentences', MISSING)} sentences of {data.get('model', MISSING)}, batches "
            f"of {data.get('batch_size', MISSING)}, rounds: {data.get('repeats', MISSING)} "
            "(median); fastest first.\n\n"
            + markdown_table(
                [
                    "variant",
                    "sent/s",
                    f"× {data.get('best_sentence_transformers', 'best sentence-transformers')}",
                    "STS-7 avg",
                ],
                rows,
            )
        ),
        command=f"python benchmarks/{benchmark}.py",
    )


def inference_speed(result: ResultFile, project: Path) -> Section:
    """inference_speed*.json: sent/s, ratio to the float32 ensemble and STS-7 avg of the
    JTCSE ensemble and each student backend."""
    variants = result.data.get("variants", {})
    rows = [
        [
            name,
            fixed(v.get("sentences_per_second"), 0),
            fixed(v.get("ratio_to_ensemble_fp32")),
            fixed(v.get("sts7_avg")),
        ]
        for name, v in variants.items()
    ]
    return Section(
        title="The JTCSE ensemble against each student backend",
        sources=[result.source],
        machine=machine_of(result),
        body=f"{result.data.get('sentences', MISSING)} sentences.\n\n"
        + markdown_table(["variant", "sent/s", "× ensemble fp32", "STS-7 avg"], rows),
        command="python benchmarks/inference_speed.py",
    )


def forward_options(result: ResultFile, project: Path) -> Section:
    """forward_options*.json: sent/s of each forward-pass option, its ratio to the default and
    the smallest cosine of its embeddings to the default's."""
    data = result.data
    rows = [
        [
            name,
            fixed(rate, 0),
            fixed(data.get("ratio_to_default", {}).get(name)),
            fixed(data.get("min_cosine_to_default", {}).get(name), 4),
        ]
        for name, rate in data.get("sentences_per_second", {}).items()
    ]
    return Section(
        title="Forward-pass options beside the default",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["option", "sent/s", "× default", "smallest cosine to default"], rows),
        command="python benchmarks/forward_options.py",
        notes=_compile_note(data.get("compile_seconds")),
    )


def _compile_note(seconds: Any) -> list[str]:
    """The compile time of the compiled options: one number (one compiled option) or one per
    option; nothing when the file records none."""
    if isinstance(seconds, Mapping):
        listed = ", ".join(f"`{name}` {fixed(value, 1)} s" for name, value in seconds.items())
        return [f"Compiling took {listed} (the first encode, not in the rates)."]
    return [] if seconds is None else [f"Compiling took {fixed(seconds, 1)} s."]


def precision_speed(result: ResultFile, project: Path) -> Section:
    """precision_speed*.json: matmul GFLOP/s and encoding sent/s per precision, and the
    bfloat16 / float32 ratio of each."""
    data = result.data
    gflops = data.get("matmul_gflops", {})
    rates = data.get("sentences_per_second", {})
    ratio = data.get("bf16_over_fp32", {})
    rows = [
        [name, fixed(gflops.get(name), 1), fixed(rates.get(name), 0)]
        for name in dict.fromkeys([*gflops, *rates])
    ]
    rows.append(
        ["bfloat16 / float32", fixed(ratio.get("matmul"), 3), fixed(ratio.get("encode"), 3)]
    )
    return Section(
        title=f"bfloat16 against float32: `{result.stem}`",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            ["precision", "GFLOP/s, [2048, 384] x [384, 1536]", "sent/s, MiniLM"], rows
        ),
        command="python benchmarks/precision_speed.py",
        notes=[f"Smallest cosine bf16 to fp32: {fixed(data.get('min_cosine_bf16_to_fp32'), 4)}."],
    )


def eval_speed(result: ResultFile, project: Path) -> Section:
    """eval_speed*.json: median wall seconds of a whole ``jtcse evaluate`` process and its
    STS-7 avg, float32 against bfloat16."""
    data = result.data
    scores = data.get("scores", {})
    rows = [
        [name, fixed(seconds, 1), fixed(scores.get(name, {}).get("avg"))]
        for name, seconds in data.get("median_seconds", {}).items()
    ]
    return Section(
        title="A whole `jtcse evaluate` process, fp32 against bf16",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["variant", "median seconds", "STS-7 avg"], rows),
        command="python benchmarks/eval_speed.py",
        notes=[
            f"fp32 / bf16: {fixed(data.get('speed_ratio_fp32_over_bf16'))}x; target bf16 "
            f"{fixed(data.get('target_bf16_seconds'), 0)} s, met: "
            f"{yes_no(data.get('bf16_meets_target'))}.",
            *_import_note(data),
        ],
    )


def _import_note(data: Mapping[str, Any]) -> list[str]:
    """The imports of a bf16 process, their target and the slowest modules, where recorded."""
    if "import_seconds" not in data:
        return []
    slowest = ", ".join(
        f"`{name}` {fixed(seconds)} s" for name, seconds in data.get("slowest_imports", {}).items()
    )
    return [
        f"Imports of a bf16 process (`python -X importtime`): {fixed(data['import_seconds'])} s; "
        f"target {fixed(data.get('target_import_seconds'), 1)} s, met: "
        f"{yes_no(data.get('imports_meet_target'))}. Slowest: {slowest}."
    ]


def encode_large(result: ResultFile, project: Path) -> Section:
    """encode_large*.json: ``jtcse encode`` on each file: lines, seconds, sent/s, peak
    resident memory (MiB) and whether it wrote one row per line."""
    runs = result.data.get("runs", {})
    rows = [
        [
            name,
            run.get("lines"),
            fixed(run.get("seconds"), 1),
            fixed(run.get("sentences_per_second"), 0),
            fixed(run.get("peak_rss_mib"), 0),
            yes_no(run.get("rows_match_lines")),
        ]
        for name, run in runs.items()
    ]
    return Section(
        title=f"`jtcse encode` on a small and a large file ({result.data.get('model', '')})",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            ["file", "lines", "seconds", "sent/s", "peak RSS (MiB)", "rows = lines"], rows
        ),
        command="python benchmarks/encode_large.py",
    )


def st_onnx_backend(result: ResultFile, project: Path) -> Section:
    """st_onnx_backend*.json: sentence-transformers' ONNX backend against our export, by the
    largest absolute difference and the smallest cosine of their embeddings."""
    data = result.data
    return Section(
        title=f"sentence-transformers' ONNX backend on `{data.get('model')}`",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            [
                "sentences",
                "sentence-transformers",
                "largest absolute difference",
                "smallest cosine",
            ],
            [
                [
                    data.get("sentences"),
                    data.get("sentence_transformers"),
                    fixed(data.get("max_abs_difference"), 4),
                    fixed(data.get("min_cosine"), 6),
                ]
            ],
        ),
        command="python benchmarks/st_onnx_backend.py",
    )


def profile_encode(result: ResultFile, project: Path) -> Section:
    """profile_encode*.json: each operator group's share of the profiled self CPU time per
    variant, then the unprofiled sent/s, wall seconds and tokenisation seconds."""
    variants = result.data.get("variants", {})
    groups = list(dict.fromkeys(g for v in variants.values() for g in v.get("group_shares", {})))
    rows = [
        [group, *(percent(v.get("group_shares", {}).get(group)) for v in variants.values())]
        for group in groups
    ]
    for label, key, digits in (
        ("sent/s (unprofiled)", "sentences_per_second", 0),
        ("wall seconds", "wall_seconds", 1),
        ("tokenisation seconds", "tokenise_seconds", 1),
    ):
        rows.append([label, *(fixed(v.get(key), digits) for v in variants.values())])
    return Section(
        title="Self CPU time per operator group",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["", *variants], rows),
        command="python benchmarks/profile_encode.py",
    )
