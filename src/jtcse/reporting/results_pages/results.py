"""The tables of the Results page other than zero-shot: STS-7 of the default chain, the seeded
studies, SentEval transfer, the paper-sized GPU run and the STS-B dev sweeps. Every score is
Spearman x 100 (STS) or accuracy x 100 (transfer) as the result file records it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jtcse.reporting.results_pages.formatting import (
    Section,
    figure,
    fixed,
    interval,
    markdown_table,
    mean_std,
    signed,
)
from jtcse.reporting.results_pages.machines import machine_of
from jtcse.reporting.results_pages.reading import ResultFile

# STS-7 columns (jtcse.data.senteval.ALL_TASKS, jtcse.evaluation.sts.DEV_KEY), spelled here so
# that the generator imports no torch-side module
STS_TASKS = ("STS12", "STS13", "STS14", "STS15", "STS16", "STSBenchmark", "SICKRelatedness")
STS_DEV = "STSBenchmark-dev"
# The keys that make a JSON file a seeded study's report
STUDY_KEYS = {"seeds", "summary", "differences"}
# What a seeded study starts from (its JSON's name), for the column headers
STUDY_BASES = {"ablation": "all-MiniLM-L6-v2 base", "mlm_regime": "MLM-pretrained base"}


def is_study(result: ResultFile) -> bool:
    """Whether ``result`` is a seeded study's report (:data:`STUDY_KEYS`)."""
    return isinstance(result.data, Mapping) and set(result.data) >= STUDY_KEYS


def sts_table(scores: Mapping[str, Mapping[str, Any]]) -> str:
    """Rows per encoder of ``{task: Spearman x 100, "avg": ..., "STSBenchmark-dev": ...}``:
    the seven tasks, the avg, STS-B dev where any row has it."""
    dev = any(STS_DEV in row for row in scores.values() if isinstance(row, Mapping))
    columns = [*STS_TASKS, "avg", *([STS_DEV] if dev else [])]
    rows = [
        [name, *(fixed(row.get(column)) for column in columns)]
        for name, row in scores.items()
        if isinstance(row, Mapping)
    ]
    header = ["model", *STS_TASKS, "avg", *(["STS-B dev"] if dev else [])]
    return markdown_table(header, rows)


def chain_sts(result: ResultFile, project: Path) -> Section:
    """``chain/sts_results.json``: STS-7 of every encoder of one run of the default chain."""
    return Section(
        title="The default chain",
        sources=[result.source],
        machine=machine_of(result),
        body=sts_table(result.data),
        notes=[
            "Spearman × 100, SentEval protocol; every trained row read by its [CLS] vector. "
            "Copied from `data/08_reporting/sts_results.json` after `dvc repro`."
        ],
    )


def study_tables(data: Mapping[str, Any]) -> str:
    """A seeded study's JSON (``seeds``, ``summary``, ``differences``, as
    ``jtcse.pipelines.ablation.nodes.analyse_study`` writes it): mean ± std over the seeds per
    row and score, then the paired differences of the STS-7 avg."""
    summary = [row for row in data.get("summary", []) if isinstance(row, Mapping)]
    columns = [c for c in (*STS_TASKS, "avg", STS_DEV) if any(f"{c}_mean" in r for r in summary)]
    header = ["variant", "seeds", *("STS-B dev" if c == STS_DEV else c for c in columns)]
    rows = [
        [
            row.get("variant"),
            row.get("seeds"),
            *(mean_std(row.get(f"{c}_mean"), row.get(f"{c}_std")) for c in columns),
        ]
        for row in summary
    ]
    differences = [
        [
            row.get("variant"),
            row.get("reference"),
            signed(row.get("mean")),
            interval(row.get("t_low"), row.get("t_high")),
            interval(row.get("boot_low"), row.get("boot_high")),
            f"{row.get('wins')}/{row.get('seeds')} seeds",
        ]
        for row in data.get("differences", [])
        if isinstance(row, Mapping)
    ]
    seeds = ", ".join(str(seed) for seed in data.get("seeds", []))
    parts = [
        f"Spearman × 100, mean ± std over seeds {seeds} (each seed trains its own towers).",
        markdown_table(header, rows),
    ]
    if differences:
        parts += [
            "Paired differences of the STS-7 avg within each seed: the mean, its 95% t interval "
            "over the seeds and a 95% paired bootstrap over the STS pairs.",
            markdown_table(
                ["variant", "minus", "mean", "95% t (seeds)", "95% bootstrap (pairs)", "ahead in"],
                differences,
            ),
        ]
    return "\n\n".join(parts)


def study(result: ResultFile, project: Path) -> Section:
    """A seeded study (:func:`study_tables`) with its figure over seeds where one lies beside."""
    base = STUDY_BASES.get(result.stem)
    plot = figure(result, project, f"{result.stem}.png", f"{result.stem}: STS-7 over seeds")
    return Section(
        title=f"The `{result.stem}` study" + (f" (from the {base})" if base else ""),
        sources=[result.source],
        machine=machine_of(result),
        body=study_tables(result.data),
        command=f"dvc repro studies/{result.stem}/dvc.yaml",
        notes=[plot] if plot else [],
    )


def transfer(result: ResultFile, project: Path) -> Section:
    """``transfer_tasks*.json``: test accuracy per SentEval transfer task and pooling, and
    their mean."""
    poolings = result.data.get("poolings", {})
    tasks = list(dict.fromkeys(t for p in poolings.values() for t in p.get("tasks", {})))
    rows = [
        [
            task,
            *(fixed(p.get("tasks", {}).get(task, {}).get("accuracy")) for p in poolings.values()),
        ]
        for task in tasks
    ]
    rows.append(["mean", *(fixed(p.get("mean_accuracy")) for p in poolings.values())])
    return Section(
        title=f"SentEval transfer tasks, {result.data.get('model', '')}".rstrip(", "),
        sources=[result.source],
        machine=machine_of(result),
        body="Test accuracy (SimCSE's `test` mode) per pooling.\n\n"
        + markdown_table(["task", *(f"{name} pooling" for name in poolings)], rows),
        command="python benchmarks/transfer_tasks.py --pooling mean cls",
    )


def paper_scale(result: ResultFile, project: Path) -> Section:
    """``paper_scale_gpu*.json``: STS-7 of the run, then steps, seconds, steps per second and
    the best STS-B dev score of each training stage."""
    stages = result.data.get("stages", {})
    rows = [
        [
            name,
            stage.get("steps"),
            fixed(stage.get("seconds"), 1),
            fixed(stage.get("steps_per_second")),
            fixed(stage.get("best_dev")),
            stage.get("best_step"),
        ]
        for name, stage in stages.items()
    ]
    return Section(
        title="A paper-sized run on a GPU",
        sources=[result.source],
        machine=machine_of(result),
        body="\n\n".join(
            [
                sts_table(result.data.get("sts", {})),
                markdown_table(
                    ["stage", "steps", "seconds", "steps/s", "best STS-B dev", "at step"], rows
                ),
            ]
        ),
        command="python benchmarks/paper_scale_gpu.py",
    )


def dev_sweep(result: ResultFile, project: Path) -> Section:
    """``dev_sweep*.json``: the best STS-B dev score of each candidate setting, its step and
    the run's seconds."""
    rows = [
        [
            f"`{run.get('candidate')}`",
            fixed(run.get("best_dev")),
            run.get("best_step"),
            fixed(run.get("seconds"), 1),
        ]
        for run in result.data.get("results", [])
    ]
    stage, name = result.data.get("stage", "tower"), result.name.removesuffix(".json")
    return Section(
        title=f"Dev sweep `{name}` ({stage}, {result.data.get('steps')} steps)",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["candidate", "best STS-B dev", "at step", "seconds"], rows),
        command=f"python benchmarks/dev_sweep.py --stage {stage}",
    )
