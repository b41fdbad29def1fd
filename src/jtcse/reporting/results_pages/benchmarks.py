"""The tables of the Benchmarks page other than encoding speed: wall seconds of the default
chain and its evaluation stage, training throughput (sentences per second, sent/s) and
determinism, evaluation and start-up times, and the mutation scores."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jtcse.modeling.compiling import ENCODE_BREAK_EVEN_SENTENCES, TRAIN_BREAK_EVEN_STEPS
from jtcse.reporting.results_pages.formatting import (
    MISSING,
    Section,
    fixed,
    markdown_table,
    median,
    number,
    percent,
    yes_no,
)
from jtcse.reporting.results_pages.machines import machine_of
from jtcse.reporting.results_pages.reading import ResultFile


def chain_timing(result: ResultFile, project: Path) -> Section:
    """chain_timing*.json: wall seconds of each stage of ``dvc repro`` and their total,
    against the target, with the load averages (1, 5, 15 minutes) before and after."""
    data = result.data
    rows = [[stage, fixed(seconds, 1)] for stage, seconds in data.get("stages", {}).items()]
    rows.append(["**total**", fixed(data.get("total_seconds"), 1)])
    state = "completed" if data.get("completed") else f"stopped at {data.get('failed_stage')}"
    notes = [
        f"Run {state}; target {fixed(data.get('target_seconds'), 0)} s, met: "
        f"{yes_no(data.get('meets_target'))}. Load average before "
        f"{_load(data.get('load_average_before'))}, after {_load(data.get('load_average_after'))}."
    ]
    if data.get("commit"):
        notes.append(f"Commit `{str(data['commit'])[:12]}`.")
    return Section(
        title="`dvc repro` from a fresh clone, stage by stage",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["stage", "wall seconds"], rows),
        command="python benchmarks/chain_timing.py",
        notes=notes,
    )


def _load(values: Any) -> str:
    """Load averages joined by `` / ``, two decimals each."""
    numbers = [fixed(v) for v in values or []]
    return " / ".join(n for n in numbers if n) or MISSING


def evaluation_stage(result: ResultFile, project: Path) -> Section:
    """evaluation_stage*.json: wall seconds of the evaluation stage cold, warm and after a
    student-only change, each against its target."""
    data = result.data
    targets = data.get("targets_seconds", {})
    meets = data.get("meets_targets", {})
    rows = [
        [run, fixed(seconds, 1), fixed(targets.get(run), 0), yes_no(meets.get(run))]
        for run, seconds in data.get("seconds", {}).items()
    ]
    return Section(
        title="The evaluation stage: cold, warm, after a student-only change",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["run", "wall seconds", "target", "met"], rows),
        command="python benchmarks/evaluation_stage.py",
        notes=[
            f"{data.get('rows')} rows; warm equals cold: {yes_no(data.get('warm_equals_cold'))}; "
            f"other rows unchanged: {yes_no(data.get('other_rows_unchanged'))}."
        ],
    )


def train_throughput(result: ResultFile, project: Path) -> Section:
    """train_throughput*.json: sent/s and the median step seconds of one joint-training step,
    a naive implementation against ours, and their ratio against the target."""
    data = result.data
    rates = data.get("sentences_per_second", {})
    rows = [
        [name, fixed(rate, 1), fixed(median(data.get("step_seconds", {}).get(name)), 2)]
        for name, rate in rates.items()
    ]
    return Section(
        title="One joint-training step: a naive baseline against ours",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["implementation", "sent/s", "median step seconds"], rows),
        command="python benchmarks/train_throughput.py",
        notes=[
            f"Ours / naive: {fixed(data.get('ratio_ours_over_naive'))}x; target "
            f"{fixed(data.get('target_ratio'), 1)}x, met: {yes_no(data.get('meets_target'))}.",
            *_over_previous_note(data),
        ],
    )


def _over_previous_note(data: Mapping[str, Any]) -> list[str]:
    """Each stage's step against the previous step's kernels, where the file records it."""
    ratios = data.get("ratio_over_previous")
    if not isinstance(ratios, Mapping):
        return []
    listed = ", ".join(f"{stage} {fixed(value)}x" for stage, value in ratios.items())
    target = fixed(data.get("target_ratio_over_previous"), 1)
    return [f"Against the previous step's kernels: {listed} (target {target}x)."]


def compile_break_even(result: ResultFile, project: Path) -> Section:
    """compile_break_even*.json: per job (encoding, each training stage's step) the eager and
    compiled seconds per item, the speed-up, the compile seconds with a cold and a warm cache,
    the break-even in items and the quality kept, against the thresholds the code uses."""
    data = result.data
    rows = []
    for job, values in data.get("jobs", {}).items():
        compile_seconds = values.get("compile_seconds", {})
        break_even = values.get("break_even_items", {})
        scores = values.get("sts7_avg", {})
        quality = (
            f"STS-7 {fixed(scores.get('eager'))} → {fixed(scores.get('warm'))}"
            if scores
            else f"loss ±{fixed(values.get('max_loss_difference'), 4)}"
        )
        rows.append(
            [
                job,
                fixed(values.get("eager_seconds_per_item"), 5 if job == "encode" else 3),
                fixed(values.get("compiled_seconds_per_item"), 5 if job == "encode" else 3),
                fixed(values.get("speedup")),
                fixed(compile_seconds.get("cold"), 1),
                fixed(compile_seconds.get("warm"), 1),
                fixed(break_even.get("cold"), 0),
                fixed(break_even.get("warm"), 0),
                quality,
            ]
        )
    return Section(
        title="When compiling pays: compile seconds and break-even per job",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            [
                "job",
                "eager s / item",
                "compiled s / item",
                "× eager",
                "compile s (cold)",
                "compile s (warm)",
                "break-even items (cold)",
                "break-even items (warm)",
                "eager vs compiled",
            ],
            rows,
        ),
        command="python benchmarks/compile_break_even.py",
        notes=[
            "Items: sentences for `encode`, steps for the training stages; a dash: never (the "
            "compiled step was not faster). `compile: auto` compiles an encoding job "
            f"{_threshold(ENCODE_BREAK_EVEN_SENTENCES, 'sentences')} and a training run "
            f"{_threshold(TRAIN_BREAK_EVEN_STEPS, 'steps')} (`jtcse.modeling.compiling`)."
        ],
    )


def _threshold(items: int | None, unit: str) -> str:
    """When ``auto`` compiles: "from N unit", or "never"."""
    return "never" if items is None else f"from {fixed(items, 0)} {unit}"


def ddp_throughput(result: ResultFile, project: Path) -> Section:
    """ddp_throughput*.json: median training sent/s per number of DDP processes."""
    data = result.data
    rows = [
        [processes, fixed(rate, 1)]
        for processes, rate in data.get("median_sentences_per_second", {}).items()
    ]
    return Section(
        title="Distributed data parallel training throughput",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["processes", "median sent/s"], rows),
        command="python benchmarks/ddp_throughput.py",
        notes=[f"Ratio of the last to the first: {fixed(data.get('ratio'))}."],
    )


def determinism(result: ResultFile, project: Path) -> Section:
    """determinism*.json: pairs of training runs, with and without deterministic algorithms
    and thread counts: identical weights, the largest weight difference, STS-B dev scores."""
    rows = [
        [
            yes_no(c.get("deterministic")),
            " vs ".join(str(t) for t in c.get("threads", [])),
            yes_no(c.get("identical_weights")),
            f"{number(c.get('max_abs_weight_difference')) or 0.0:.2g}",
            " / ".join(fixed(s) or MISSING for s in c.get("dev_scores", [])),
        ]
        for c in result.data.get("comparisons", [])
    ]
    return Section(
        title=f"Two training runs compared ({result.data.get('steps')} steps, fp32)",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            [
                "deterministic algorithms",
                "threads",
                "identical weights",
                "largest weight difference",
                "STS-B dev",
            ],
            rows,
        ),
        command="python benchmarks/determinism.py",
    )


def zero_shot_suite(result: ResultFile, project: Path) -> Section:
    """zero_shot_suite*.json: task rows and seconds of each encoder's zero-shot tasks, the
    conversion and total seconds against the first encoder's target."""
    data = result.data
    tasks = [t for t in data.get("tasks", []) if isinstance(t, Mapping)]
    counts = {
        name: sum(t.get("encoder") == name for t in tasks) for name in data.get("encoders", {})
    }
    rows = [
        [name, counts.get(name), fixed(seconds, 1)]
        for name, seconds in data.get("task_seconds_per_encoder", {}).items()
    ]
    return Section(
        title=f"Zero-shot suite wall time: `{result.stem}`",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["encoder", "task rows", "seconds of its tasks"], rows),
        command="python benchmarks/zero_shot_suite.py",
        notes=[
            f"Conversion {fixed(data.get('conversion_seconds'), 1)} s, total "
            f"{fixed(data.get('total_seconds'), 1)} s; target for the first encoder "
            f"{fixed(data.get('target_seconds'), 0)} s, met: "
            f"{yes_no(data.get('first_encoder_meets_target'))}."
        ],
    )


def probe_workers(result: ResultFile, project: Path) -> Section:
    """probe_workers*.json: median seconds of the linear probes per number of parallel
    workers, the speed ratio to the first and the accuracy reached."""
    data = result.data
    rows = [
        [
            workers,
            fixed(seconds, 1),
            fixed(data.get("speed_ratio_to_first", {}).get(workers)),
            fixed(data.get("scores", {}).get(workers, {}).get("accuracy")),
        ]
        for workers, seconds in data.get("median_seconds", {}).items()
    ]
    return Section(
        title=f"Linear probes of {data.get('task', 'one task')} in parallel stacks",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["workers", "median seconds", "× first", "accuracy"], rows),
        command="python benchmarks/probe_workers.py",
        notes=[f"Scores identical: {yes_no(data.get('scores_identical'))}."],
    )


def kedro_startup(result: ResultFile, project: Path) -> Section:
    """kedro_startup*.json: median seconds of ``kedro registry list`` and an empty
    ``kedro run`` per project tree, and whether listing imports torch."""
    projects = result.data.get("projects", {})
    rows = [
        [
            f"`{name}`",
            fixed(p.get("median_seconds", {}).get("registry_list")),
            fixed(p.get("median_seconds", {}).get("empty_run")),
            yes_no(p.get("registry_list_imports_torch")),
        ]
        for name, p in projects.items()
    ]
    return Section(
        title="Kedro start-up",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            ["project tree", "`kedro registry list` (s)", "empty `kedro run` (s)", "imports torch"],
            rows,
        ),
        command="python benchmarks/kedro_startup.py",
    )


def mutation(result: ResultFile, project: Path) -> Section:
    """mutation/**/report.json: mutants per outcome of each module, the score (killed /
    total) as a percentage, and the seconds the run took."""
    modules = [m for m in result.data.values() if isinstance(m, Mapping)]
    columns = ("killed", "survived", "timeout", "no_tests", "other", "total")
    rows = [
        [
            f"`{m.get('module')}`",
            *(m.get(c) for c in columns),
            percent(m.get("score")),
            fixed(m.get("seconds"), 1),
        ]
        for m in modules
    ]
    title = "Mutation scores" + (" before issue 32's tests" if "before" in result.folder else "")
    return Section(
        title=title,
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(["module", *columns, "score", "seconds"], rows),
        command="tools/mutation-test",
    )
