"""The tables of the documentation's Results and Benchmarks pages and the README's headline,
generated from the result files committed under ``benchmarks/results/``.

``python -m jtcse.reporting.results_pages`` (from the project root) reads every ``.json`` and
``.csv`` file under ``benchmarks/results/`` and writes

- ``docs/generated/results.md`` (included by ``docs/results.md``): the headline, STS-7 of the
  default chain, the seeded studies, zero-shot, SentEval transfer, the GPU run, the dev sweeps;
- ``docs/generated/benchmarks.md`` (included by ``docs/benchmarks.md``): every speed and
  behaviour measurement, then any result file no table knows yet;
- ``docs/generated/headline.md``: the headline table meant for the README, which this command
  also writes between ``<!-- headline:start -->`` and ``<!-- headline:end -->`` in
  ``README.md`` where those markers are.

Every table says the file it comes from and the machine its numbers were measured on, as the
file records it (a CPU model, its bfloat16 instructions, the number of CPUs, a GPU); where a
file records no CPU model the table says "CPU not recorded". A result folder may hold a
``machine.json`` beside files that record none (``--record-machine FOLDER`` writes this
machine's). ``--check`` writes nothing and fails, naming each file, where a committed page or
the README's region differs from what the command writes now; a test runs it, so no number on
those pages is typed by hand.

A file is rendered by the first table that recognises it, by its layout (a seeded study's
JSON, a zero-shot CSV) or its name; a result file that appears later (a new study, a zero-shot
suite under ``benchmarks/results/zero_shot/<suite>/``) joins its page at the next run, and a
source that is not committed yet is named with the command that produces it.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jtcse.atomic import write_json_atomic, write_text_atomic

RESULTS_DIR = Path("benchmarks") / "results"
GENERATED_DIR = Path("docs") / "generated"
PAGES = ("results", "benchmarks", "headline")
COMMAND = "python -m jtcse.reporting.results_pages"
README = Path("README.md")
HEADLINE_START = "<!-- headline:start -->"
HEADLINE_END = "<!-- headline:end -->"
MACHINE_FILE = "machine.json"
MISSING = "–"

# STS-7 columns (jtcse.data.senteval.ALL_TASKS, jtcse.evaluation.sts.DEV_KEY), spelled here so
# that the generator imports no torch-side module
STS_TASKS = ("STS12", "STS13", "STS14", "STS15", "STS16", "STSBenchmark", "SICKRelatedness")
STS_DEV = "STSBenchmark-dev"
ZERO_SHOT_COLUMNS = {"encoder", "task", "category", "metric", "score"}
STUDY_KEYS = {"seeds", "summary", "differences"}
ARCHITECTURES = ("x86_64", "amd64", "aarch64", "arm64", "ppc64le", "s390x", "i686")

# Headline rows: (label, the row of a seeded study, the zero-shot encoder of the same model)
HEADLINE_ROWS = (
    ("base model, [CLS]", "base_cls", "base_cls"),
    ("base model, mean pooling", "base_mean", "base_mean"),
    ("two SimCSE towers, summed", "towers_ensemble", "towers_ensemble"),
    ("TNCSE (no cross-attention)", "tncse", "tncse_ensemble"),
    ("JTCSE", "jtcse", "jtcse_decoupled"),
    ("JTCSE-D (one tower, distilled)", "jtcse_d", "student"),
)
# What a seeded study starts from (its JSON's name), for the column headers
STUDY_BASES = {"ablation": "all-MiniLM-L6-v2 base", "mlm_regime": "MLM-pretrained base"}
# Zero-shot result folders, in the headline's order of preference, with their names
ZERO_SHOT_SUITES = {
    "zero_shot/quick": "quick suite",
    "zero_shot/full": "full suite",
    "zero_shot_chain": "the default chain's run, before the suites",
}


class ResultsError(ValueError):
    """A result file, a generated page or the README that cannot be read or written."""


@dataclass(frozen=True)
class ResultFile:
    """One file under ``benchmarks/results/``: ``name`` its path from there (POSIX),
    ``data`` the parsed JSON, or the CSV's rows as dicts."""

    path: Path
    name: str
    data: Any

    @property
    def source(self) -> str:
        return (RESULTS_DIR / self.name).as_posix()

    @property
    def folder(self) -> str:
        return self.name.rpartition("/")[0]

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass
class Section:
    """One table (or a few) under its heading, with where the numbers come from."""

    title: str
    sources: list[str]
    machine: str
    body: str
    command: str | None = None
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        provenance = ", ".join(f"`{source}`" for source in self.sources)
        lines = [f"### {self.title}", "", f"Source: {provenance}. Machine: {self.machine}."]
        if self.command:
            lines[-1] += f" Written by `{self.command}`."
        lines += ["", self.body.rstrip()]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines)


# ----------------------------------------------------------------------------------- reading


def read_results(project: Path) -> list[ResultFile]:
    """Every ``.json`` and ``.csv`` file under ``benchmarks/results/`` of ``project``, sorted by
    path; an unreadable file raises :class:`ResultsError` naming it."""
    root = project / RESULTS_DIR
    files = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".json", ".csv"} or not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
            data = (
                json.loads(text)
                if path.suffix == ".json"
                else list(csv.DictReader(text.splitlines()))
            )
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
            raise ResultsError(f"{RESULTS_DIR / name}: cannot read it ({error})") from error
        files.append(ResultFile(path, name, data))
    return files


# ---------------------------------------------------------------------------------- machines


def cpu_description() -> dict[str, Any]:
    """This machine's CPU as the result files record it: ``model`` (from /proc/cpuinfo),
    whether it has AMX-BF16 and AVX512-BF16, the number of CPUs and the architecture."""
    info = Path("/proc/cpuinfo")
    text = info.read_text(encoding="utf-8", errors="replace") if info.is_file() else ""
    lines = text.splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "")
    flags = set(next((line for line in lines if line.startswith("flags")), "").split())
    return {
        "model": model or platform.processor() or None,
        "amx_bf16": "amx_bf16" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
        "cpus": os.cpu_count(),
        "architecture": platform.machine(),
    }


def record_machine(folder: Path) -> Path:
    """Write ``folder/machine.json`` (``{"cpu": ...}``, :func:`cpu_description`): the machine of
    the result files in that folder that record none."""
    if not folder.is_dir():
        raise ResultsError(f"{folder}: no such result folder")
    return write_json_atomic(folder / MACHINE_FILE, {"cpu": cpu_description()})


def machine_description(data: Any, sidecar: Mapping[str, Any] | None = None) -> str:
    """The machine a result file's numbers came from, in words, from what the file records
    (``device``, ``cpu``, ``machine``, ``cpu_count``, ``torch_cpu_capability``,
    ``native_bf16``), completed by a ``machine.json`` beside it; "CPU not recorded" where
    neither names the CPU."""
    record = data if isinstance(data, Mapping) else {}
    if isinstance(record.get("device"), str):
        return f"{record['device']} (GPU)"
    facts: dict[str, Any] = {}
    for source in (sidecar or {}, record):  # the file's own record wins
        facts.update(_machine_facts(source))
    details = []
    if facts.get("cpus"):
        details.append(f"{facts['cpus']} CPUs")
    if facts.get("architecture"):
        details.append(str(facts["architecture"]))
    details += facts.get("features", [])
    model = facts.get("model") or "CPU not recorded"
    return f"{model} ({', '.join(details)})" if details else model


def _machine_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    features: list[str] = []
    cpu = record.get("cpu")
    if isinstance(cpu, Mapping):
        facts["model"] = cpu.get("model")
        facts["cpus"] = cpu.get("cpus")
        facts["architecture"] = cpu.get("architecture")
        if "amx_bf16" in cpu or "avx512_bf16" in cpu:
            present = [
                name
                for name, key in (("AMX-BF16", "amx_bf16"), ("AVX512-BF16", "avx512_bf16"))
                if cpu.get(key)
            ]
            features.append(" and ".join(present) if present else "no AMX-BF16 or AVX512-BF16")
    elif isinstance(cpu, str):
        facts["model"] = cpu
    machine = record.get("machine")
    if isinstance(machine, str):
        if machine.lower() in ARCHITECTURES:
            facts["architecture"] = machine
        else:
            facts["model"] = facts.get("model") or machine
    elif isinstance(machine, Mapping):
        facts["cpus"] = machine.get("cpus") or machine.get("cpu_count")
        text = str(machine.get("platform", ""))
        facts["architecture"] = next((arch for arch in ARCHITECTURES if arch in text), None)
        if machine.get("cuda_devices"):
            features.append(f"{machine['cuda_devices']} CUDA devices")
    if record.get("cpu_count"):
        facts["cpus"] = facts.get("cpus") or record["cpu_count"]
    if record.get("torch_cpu_capability"):
        features.append(f"torch CPU capability {record['torch_cpu_capability']}")
    if isinstance(record.get("native_bf16"), bool):
        features.append("native bfloat16" if record["native_bf16"] else "bfloat16 emulated")
    facts["features"] = features
    return {key: value for key, value in facts.items() if value}


# -------------------------------------------------------------------------------- formatting


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table; ``None`` and NaN cells print as a dash."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_text(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _text(cell: Any) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return MISSING
    return str(cell).replace("|", "\\|").replace("\n", " ")


def _fixed(value: Any, digits: int = 2) -> str | None:
    number = _number(value)
    return None if number is None else f"{number:,.{digits}f}"


def _signed(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{number:+.2f}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _median(values: Any) -> float | None:
    numbers = sorted(n for n in map(_number, values or []) if n is not None)
    if not numbers:
        return None
    middle = len(numbers) // 2
    return numbers[middle] if len(numbers) % 2 else (numbers[middle - 1] + numbers[middle]) / 2


def _yes_no(value: Any) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _mean_std(mean: Any, std: Any) -> str | None:
    if _number(mean) is None:
        return None
    return _fixed(mean) if _number(std) is None else f"{_fixed(mean)} ± {_fixed(std)}"


def _p_value(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{number:.3g}"


def _figure(result: ResultFile, project: Path, pattern: str, alt: str) -> str | None:
    """A Markdown image of the first file beside ``result`` matching ``pattern``, linked by
    its path from the project root (how the pages at the top of docs/ read it; the site's
    hook ``tools/docs_hooks.py`` publishes it there)."""
    matches = sorted(result.path.parent.glob(pattern))
    if not matches:
        return None
    return f"![{alt}]({matches[0].relative_to(project).as_posix()})"


# --------------------------------------------------------------------------------- renderers


def sts_table(scores: Mapping[str, Mapping[str, Any]]) -> str:
    """Rows per encoder of ``{task: Spearman x 100, "avg": ..., "STSBenchmark-dev": ...}``:
    the seven tasks, the avg, STS-B dev where any row has it."""
    dev = any(STS_DEV in row for row in scores.values() if isinstance(row, Mapping))
    columns = [*STS_TASKS, "avg", *([STS_DEV] if dev else [])]
    rows = [
        [name, *(_fixed(row.get(column)) for column in columns)]
        for name, row in scores.items()
        if isinstance(row, Mapping)
    ]
    header = ["model", *STS_TASKS, "avg", *(["STS-B dev"] if dev else [])]
    return markdown_table(header, rows)


def _chain_sts(result: ResultFile, project: Path) -> Section:
    return Section(
        title="The default chain",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
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
            *(_mean_std(row.get(f"{c}_mean"), row.get(f"{c}_std")) for c in columns),
        ]
        for row in summary
    ]
    differences = [
        [
            row.get("variant"),
            row.get("reference"),
            _signed(row.get("mean")),
            _interval(row.get("t_low"), row.get("t_high")),
            _interval(row.get("boot_low"), row.get("boot_high")),
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


def _interval(low: Any, high: Any) -> str | None:
    if _number(low) is None or _number(high) is None:
        return None
    return f"[{_signed(low)}, {_signed(high)}]"


def _study(result: ResultFile, project: Path) -> Section:
    base = STUDY_BASES.get(result.stem)
    figure = _figure(result, project, f"{result.stem}.png", f"{result.stem}: STS-7 over seeds")
    return Section(
        title=f"The `{result.stem}` study" + (f" (from the {base})" if base else ""),
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=study_tables(result.data),
        command=f"dvc repro studies/{result.stem}/dvc.yaml",
        notes=[figure] if figure else [],
    )


def zero_shot_tables(rows: Sequence[Mapping[str, Any]]) -> str:
    """The zero-shot table (one row per encoder and task, ``score`` 0-1): the category means
    with the overall average (mean of the category means), the mean over tasks and the
    average rank (:mod:`jtcse.reporting.zero_shot`), then every task's score x 100."""
    import pandas as pd

    from jtcse.reporting.zero_shot import average_ranks, category_means, score_matrix

    table = pd.DataFrame(list(rows))
    table["score"] = pd.to_numeric(table["score"], errors="coerce")
    encoders = list(pd.unique(table["encoder"]))
    means = category_means(table) * 100
    ranks = average_ranks(table)
    summary = [
        [category, *(_fixed(means.loc[category, e]) for e in encoders)] for category in means.index
    ]
    summary.append(["average rank", *(_fixed(ranks[e]) for e in encoders)])
    matrix = score_matrix(table) * 100
    info = table.drop_duplicates("task").set_index("task")
    tasks = [
        [task, info.loc[task, "category"], info.loc[task, "metric"]]
        + [_fixed(matrix.loc[task, e]) for e in encoders]
        for task in matrix.index
    ]
    return "\n\n".join(
        [
            "mteb's main score × 100 on each task's test split. `overall`: the mean of the "
            "category means (each category counts once); `tasks`: the mean over every task; "
            "`average rank`: the mean over tasks of each encoder's rank (1 = best).",
            markdown_table(["category", *encoders], summary),
            markdown_table(["task", "category", "metric", *encoders], tasks),
        ]
    )


def _zero_shot(result: ResultFile, project: Path) -> Section:
    suite = ZERO_SHOT_SUITES.get(result.folder)
    title = f"Zero-shot, {suite}" if suite else f"Zero-shot, `{result.folder or result.stem}`"
    notes = []
    sources = [result.source]
    for path in sorted(result.path.parent.glob("*win_tie_loss*.json")):
        comparisons = json.loads(path.read_text(encoding="utf-8"))
        sources.append((RESULTS_DIR / path.relative_to(project / RESULTS_DIR)).as_posix())
        notes.append(_win_tie_loss(comparisons))
    figure = _figure(result, project, "*heat_map*.png", "Zero-shot heat map")
    if figure:
        notes.append(figure)
    return Section(
        title=title,
        sources=sources,
        machine=machine_description(None, _sidecar(result)),
        body=zero_shot_tables(result.data),
        notes=notes,
    )


def _win_tie_loss(comparisons: Any) -> str:
    rows = (
        [row for row in comparisons if isinstance(row, Mapping)]
        if isinstance(comparisons, list)
        else []
    )
    if not rows:
        return "No win/tie/loss comparisons recorded."
    columns = list(rows[0])
    return (
        "Wins, ties and losses of the champion per task (scores rounded to two decimals of a "
        "point; p: two-sided sign test of wins against losses, ties left out).\n\n"
        + markdown_table(
            columns,
            [[_p_value(r.get(c)) if c == "p_value" else r.get(c) for c in columns] for r in rows],
        )
    )


def _transfer(result: ResultFile, project: Path) -> Section:
    poolings = result.data.get("poolings", {})
    tasks = list(dict.fromkeys(t for p in poolings.values() for t in p.get("tasks", {})))
    rows = [
        [
            task,
            *(_fixed(p.get("tasks", {}).get(task, {}).get("accuracy")) for p in poolings.values()),
        ]
        for task in tasks
    ]
    rows.append(["mean", *(_fixed(p.get("mean_accuracy")) for p in poolings.values())])
    return Section(
        title=f"SentEval transfer tasks, {result.data.get('model', '')}".rstrip(", "),
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body="Test accuracy (SimCSE's `test` mode) per pooling.\n\n"
        + markdown_table(["task", *(f"{name} pooling" for name in poolings)], rows),
        command="python benchmarks/transfer_tasks.py --pooling mean cls",
    )


def _paper_scale(result: ResultFile, project: Path) -> Section:
    stages = result.data.get("stages", {})
    rows = [
        [
            name,
            stage.get("steps"),
            _fixed(stage.get("seconds"), 1),
            _fixed(stage.get("steps_per_second")),
            _fixed(stage.get("best_dev")),
            stage.get("best_step"),
        ]
        for name, stage in stages.items()
    ]
    return Section(
        title="A paper-sized run on a GPU",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
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


def _dev_sweep(result: ResultFile, project: Path) -> Section:
    rows = [
        [
            f"`{run.get('candidate')}`",
            _fixed(run.get("best_dev")),
            run.get("best_step"),
            _fixed(run.get("seconds"), 1),
        ]
        for run in result.data.get("results", [])
    ]
    stage = result.data.get("stage", "tower")
    return Section(
        title=f"Dev sweep `{result.stem}` ({stage}, {result.data.get('steps')} steps)",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=markdown_table(["candidate", "best STS-B dev", "at step", "seconds"], rows),
        command=f"python benchmarks/dev_sweep.py --stage {stage}",
    )


def _chain_timing(result: ResultFile, project: Path) -> Section:
    data = result.data
    rows = [[stage, _fixed(seconds, 1)] for stage, seconds in data.get("stages", {}).items()]
    rows.append(["**total**", _fixed(data.get("total_seconds"), 1)])
    state = "completed" if data.get("completed") else f"stopped at {data.get('failed_stage')}"
    notes = [
        f"Run {state}; target {_fixed(data.get('target_seconds'), 0)} s, met: "
        f"{_yes_no(data.get('meets_target'))}. Load average before "
        f"{_load(data.get('load_average_before'))}, after {_load(data.get('load_average_after'))}."
    ]
    if data.get("commit"):
        notes.append(f"Commit `{str(data['commit'])[:12]}`.")
    return Section(
        title="`dvc repro` from a fresh clone, stage by stage",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["stage", "wall seconds"], rows),
        command="python benchmarks/chain_timing.py",
        notes=notes,
    )


def _load(values: Any) -> str:
    numbers = [_fixed(v) for v in values or []]
    return " / ".join(n for n in numbers if n) or MISSING


def _evaluation_stage(result: ResultFile, project: Path) -> Section:
    data = result.data
    targets = data.get("targets_seconds", {})
    meets = data.get("meets_targets", {})
    rows = [
        [run, _fixed(seconds, 1), _fixed(targets.get(run), 0), _yes_no(meets.get(run))]
        for run, seconds in data.get("seconds", {}).items()
    ]
    return Section(
        title="The evaluation stage: cold, warm, after a student-only change",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["run", "wall seconds", "target", "met"], rows),
        command="python benchmarks/evaluation_stage.py",
        notes=[
            f"{data.get('rows')} rows; warm equals cold: {_yes_no(data.get('warm_equals_cold'))}; "
            f"other rows unchanged: {_yes_no(data.get('other_rows_unchanged'))}."
        ],
    )


def _variant_speed(result: ResultFile, project: Path) -> Section:
    """backend_speed*.json, encode_speed*.json: sent/s, ratio to the best
    sentence-transformers variant, STS-7 avg per variant."""
    data = result.data
    rates = data.get("sentences_per_second", {})
    ratios = data.get("ratio_to_best_sentence_transformers", {})
    averages = data.get("sts7_avg", {})
    rows = sorted(
        (
            [name, _fixed(rate, 0), _fixed(ratios.get(name)), _fixed(averages.get(name))]
            for name, rate in rates.items()
        ),
        key=lambda row: -(_number(rates.get(row[0])) or 0.0),
    )
    benchmark = data.get("benchmark", result.stem)
    return Section(
        title=f"{SPEED_TITLES.get(benchmark, benchmark)}: `{result.stem}`",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
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


# Titles of the variant-speed benchmarks by their ``benchmark`` field
SPEED_TITLES = {
    "backend_speed": "Every backend against sentence-transformers",
    "encode_speed": "Our encode paths against sentence-transformers",
}


def _inference_speed(result: ResultFile, project: Path) -> Section:
    variants = result.data.get("variants", {})
    rows = [
        [
            name,
            _fixed(v.get("sentences_per_second"), 0),
            _fixed(v.get("ratio_to_ensemble_fp32")),
            _fixed(v.get("sts7_avg")),
        ]
        for name, v in variants.items()
    ]
    return Section(
        title="The JTCSE ensemble against each student backend",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=f"{result.data.get('sentences', MISSING)} sentences.\n\n"
        + markdown_table(["variant", "sent/s", "× ensemble fp32", "STS-7 avg"], rows),
        command="python benchmarks/inference_speed.py",
    )


def _forward_options(result: ResultFile, project: Path) -> Section:
    data = result.data
    rows = [
        [
            name,
            _fixed(rate, 0),
            _fixed(data.get("ratio_to_default", {}).get(name)),
            _fixed(data.get("min_cosine_to_default", {}).get(name), 4),
        ]
        for name, rate in data.get("sentences_per_second", {}).items()
    ]
    return Section(
        title="Forward-pass options beside the default",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["option", "sent/s", "× default", "smallest cosine to default"], rows),
        command="python benchmarks/forward_options.py",
        notes=[f"Compiling took {_fixed(data.get('compile_seconds'), 1)} s."]
        if "compile_seconds" in data
        else [],
    )


def _precision_speed(result: ResultFile, project: Path) -> Section:
    data = result.data
    gflops = data.get("matmul_gflops", {})
    rates = data.get("sentences_per_second", {})
    ratio = data.get("bf16_over_fp32", {})
    rows = [
        [name, _fixed(gflops.get(name), 1), _fixed(rates.get(name), 0)]
        for name in dict.fromkeys([*gflops, *rates])
    ]
    rows.append(
        ["bfloat16 / float32", _fixed(ratio.get("matmul"), 3), _fixed(ratio.get("encode"), 3)]
    )
    return Section(
        title=f"bfloat16 against float32: `{result.stem}`",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(
            ["precision", "GFLOP/s, [2048, 384] x [384, 1536]", "sent/s, MiniLM"], rows
        ),
        command="python benchmarks/precision_speed.py",
        notes=[f"Smallest cosine bf16 to fp32: {_fixed(data.get('min_cosine_bf16_to_fp32'), 4)}."],
    )


def _eval_speed(result: ResultFile, project: Path) -> Section:
    data = result.data
    scores = data.get("scores", {})
    rows = [
        [name, _fixed(seconds, 1), _fixed(scores.get(name, {}).get("avg"))]
        for name, seconds in data.get("median_seconds", {}).items()
    ]
    return Section(
        title="A whole `jtcse evaluate` process, fp32 against bf16",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["variant", "median seconds", "STS-7 avg"], rows),
        command="python benchmarks/eval_speed.py",
        notes=[
            f"fp32 / bf16: {_fixed(data.get('speed_ratio_fp32_over_bf16'))}x; target bf16 "
            f"{_fixed(data.get('target_bf16_seconds'), 0)} s, met: "
            f"{_yes_no(data.get('bf16_meets_target'))}."
        ],
    )


def _encode_large(result: ResultFile, project: Path) -> Section:
    runs = result.data.get("runs", {})
    rows = [
        [
            name,
            run.get("lines"),
            _fixed(run.get("seconds"), 1),
            _fixed(run.get("sentences_per_second"), 0),
            _fixed(run.get("peak_rss_mib"), 0),
            _yes_no(run.get("rows_match_lines")),
        ]
        for name, run in runs.items()
    ]
    return Section(
        title=f"`jtcse encode` on a small and a large file ({result.data.get('model', '')})",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=markdown_table(
            ["file", "lines", "seconds", "sent/s", "peak RSS (MiB)", "rows = lines"], rows
        ),
        command="python benchmarks/encode_large.py",
    )


def _st_onnx_backend(result: ResultFile, project: Path) -> Section:
    data = result.data
    return Section(
        title=f"sentence-transformers' ONNX backend on `{data.get('model')}`",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
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
                    _fixed(data.get("max_abs_difference"), 4),
                    _fixed(data.get("min_cosine"), 6),
                ]
            ],
        ),
        command="python benchmarks/st_onnx_backend.py",
    )


def _profile_encode(result: ResultFile, project: Path) -> Section:
    variants = result.data.get("variants", {})
    groups = list(dict.fromkeys(g for v in variants.values() for g in v.get("group_shares", {})))
    rows = [
        [group, *(_percent(v.get("group_shares", {}).get(group)) for v in variants.values())]
        for group in groups
    ]
    for label, key, digits in (
        ("sent/s (unprofiled)", "sentences_per_second", 0),
        ("wall seconds", "wall_seconds", 1),
        ("tokenisation seconds", "tokenise_seconds", 1),
    ):
        rows.append([label, *(_fixed(v.get(key), digits) for v in variants.values())])
    return Section(
        title="Self CPU time per operator group",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=markdown_table(["", *variants], rows),
        command="python benchmarks/profile_encode.py",
    )


def _percent(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{100 * number:.1f}%"


def _train_throughput(result: ResultFile, project: Path) -> Section:
    data = result.data
    rates = data.get("sentences_per_second", {})
    rows = [
        [name, _fixed(rate, 1), _fixed(_median(data.get("step_seconds", {}).get(name)), 2)]
        for name, rate in rates.items()
    ]
    return Section(
        title="One joint-training step: a naive baseline against ours",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["implementation", "sent/s", "median step seconds"], rows),
        command="python benchmarks/train_throughput.py",
        notes=[
            f"Ours / naive: {_fixed(data.get('ratio_ours_over_naive'))}x; target "
            f"{_fixed(data.get('target_ratio'), 1)}x, met: {_yes_no(data.get('meets_target'))}."
        ],
    )


def _ddp_throughput(result: ResultFile, project: Path) -> Section:
    data = result.data
    rows = [
        [processes, _fixed(rate, 1)]
        for processes, rate in data.get("median_sentences_per_second", {}).items()
    ]
    return Section(
        title="Distributed data parallel training throughput",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["processes", "median sent/s"], rows),
        command="python benchmarks/ddp_throughput.py",
        notes=[f"Ratio of the last to the first: {_fixed(data.get('ratio'))}."],
    )


def _determinism(result: ResultFile, project: Path) -> Section:
    rows = [
        [
            _yes_no(c.get("deterministic")),
            " vs ".join(str(t) for t in c.get("threads", [])),
            _yes_no(c.get("identical_weights")),
            f"{_number(c.get('max_abs_weight_difference')) or 0.0:.2g}",
            " / ".join(_fixed(s) or MISSING for s in c.get("dev_scores", [])),
        ]
        for c in result.data.get("comparisons", [])
    ]
    return Section(
        title=f"Two training runs compared ({result.data.get('steps')} steps, fp32)",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
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


def _probe_workers(result: ResultFile, project: Path) -> Section:
    data = result.data
    rows = [
        [
            workers,
            _fixed(seconds, 1),
            _fixed(data.get("speed_ratio_to_first", {}).get(workers)),
            _fixed(data.get("scores", {}).get(workers, {}).get("accuracy")),
        ]
        for workers, seconds in data.get("median_seconds", {}).items()
    ]
    return Section(
        title=f"Linear probes of {data.get('task', 'one task')} in parallel stacks",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["workers", "median seconds", "× first", "accuracy"], rows),
        command="python benchmarks/probe_workers.py",
        notes=[f"Scores identical: {_yes_no(data.get('scores_identical'))}."],
    )


def _kedro_startup(result: ResultFile, project: Path) -> Section:
    projects = result.data.get("projects", {})
    rows = [
        [
            f"`{name}`",
            _fixed(p.get("median_seconds", {}).get("registry_list")),
            _fixed(p.get("median_seconds", {}).get("empty_run")),
            _yes_no(p.get("registry_list_imports_torch")),
        ]
        for name, p in projects.items()
    ]
    return Section(
        title="Kedro start-up",
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=markdown_table(
            ["project tree", "`kedro registry list` (s)", "empty `kedro run` (s)", "imports torch"],
            rows,
        ),
        command="python benchmarks/kedro_startup.py",
    )


def _zero_shot_suite(result: ResultFile, project: Path) -> Section:
    data = result.data
    tasks = [t for t in data.get("tasks", []) if isinstance(t, Mapping)]
    counts = {
        name: sum(t.get("encoder") == name for t in tasks) for name in data.get("encoders", {})
    }
    rows = [
        [name, counts.get(name), _fixed(seconds, 1)]
        for name, seconds in data.get("task_seconds_per_encoder", {}).items()
    ]
    return Section(
        title=f"Zero-shot suite wall time: `{result.stem}`",
        sources=[result.source],
        machine=machine_description(data, _sidecar(result)),
        body=markdown_table(["encoder", "task rows", "seconds of its tasks"], rows),
        command="python benchmarks/zero_shot_suite.py",
        notes=[
            f"Conversion {_fixed(data.get('conversion_seconds'), 1)} s, total "
            f"{_fixed(data.get('total_seconds'), 1)} s; target for the first encoder "
            f"{_fixed(data.get('target_seconds'), 0)} s, met: "
            f"{_yes_no(data.get('first_encoder_meets_target'))}."
        ],
    )


def _mutation(result: ResultFile, project: Path) -> Section:
    modules = [m for m in result.data.values() if isinstance(m, Mapping)]
    columns = ("killed", "survived", "timeout", "no_tests", "other", "total")
    rows = [
        [
            f"`{m.get('module')}`",
            *(m.get(c) for c in columns),
            _percent(m.get("score")),
            _fixed(m.get("seconds"), 1),
        ]
        for m in modules
    ]
    title = "Mutation scores" + (" before issue 32's tests" if "before" in result.folder else "")
    return Section(
        title=title,
        sources=[result.source],
        machine=machine_description(result.data, _sidecar(result)),
        body=markdown_table(["module", *columns, "score", "seconds"], rows),
        command="tools/mutation-test",
    )


def _machine_of(result: ResultFile) -> str:
    """:func:`machine_description` of a result file (a CSV records no machine itself)."""
    return machine_description(
        result.data if result.name.endswith(".json") else None, _sidecar(result)
    )


def _sidecar(result: ResultFile) -> Mapping[str, Any] | None:
    path = result.path.parent / MACHINE_FILE
    if not path.is_file() or path == result.path:
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path}: cannot read it ({error})") from error
    return record if isinstance(record, Mapping) else None


# ------------------------------------------------------------------------------------ groups


def _named(*patterns: str) -> Callable[[ResultFile], bool]:
    compiled = [re.compile(pattern) for pattern in patterns]
    return lambda result: any(p.fullmatch(result.name) for p in compiled)


def _is_study(result: ResultFile) -> bool:
    return isinstance(result.data, Mapping) and set(result.data) >= STUDY_KEYS


def _is_zero_shot_table(result: ResultFile) -> bool:
    return (
        result.name.endswith(".csv")
        and bool(result.data)
        and set(result.data[0]) >= ZERO_SHOT_COLUMNS
    )


@dataclass(frozen=True)
class Kind:
    """A kind of result file: which files (``matches``), how to render one, and where a
    missing one is expected (``expected``: a path under benchmarks/results, or a folder
    ending in ``/``, and the command that produces it)."""

    matches: Callable[[ResultFile], bool]
    render: Callable[[ResultFile, Path], Section]
    expected: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Group:
    """A heading of a page (``## title {#anchor}``) with its kinds of result files."""

    page: str
    anchor: str
    title: str
    intro: str
    kinds: tuple[Kind, ...]


GROUPS = (
    Group(
        "results",
        "chain",
        "STS-7 of the default chain",
        "One seed of the default chain (`dvc repro`, `conf/base`).",
        (
            Kind(
                _named(r"chain/sts_results\.json"),
                _chain_sts,
                (
                    (
                        "chain/sts_results.json",
                        "`dvc repro`, then copy `data/08_reporting/sts_results.json` there "
                        f"and run `{COMMAND} --record-machine benchmarks/results/chain`",
                    ),
                ),
            ),
        ),
    ),
    Group(
        "results",
        "ablation",
        "STS-7 over seeds",
        "The seeded studies: each seed trains its own towers and every joint-training variant "
        "from them ([Pipelines](pipelines.md#studies)); the reports are copied from "
        "`data/08_reporting/<study>/`.",
        (
            Kind(
                _is_study,
                _study,
                (
                    ("ablation/ablation.json", "`dvc repro studies/ablation/dvc.yaml`"),
                    ("mlm_regime/mlm_regime.json", "`dvc repro studies/mlm_regime/dvc.yaml`"),
                ),
            ),
        ),
    ),
    Group(
        "results",
        "zero-shot",
        "Zero-shot",
        "mteb's tasks with their own evaluators ([protocol](evaluation.md#zero-shot)); each "
        "table is the `zero_shot_results.csv` of a run, copied from `data/08_reporting/`.",
        (
            Kind(
                _is_zero_shot_table,
                _zero_shot,
                (
                    (
                        "zero_shot/quick/",
                        "`dvc repro` (the `zero_shot` stage), then copy "
                        "`data/08_reporting/zero_shot*` there",
                    ),
                    (
                        "zero_shot/full/",
                        "`dvc repro studies/zero_shot/dvc.yaml`, then copy "
                        "`data/08_reporting/zero_shot_full/` there",
                    ),
                ),
            ),
        ),
    ),
    Group(
        "results",
        "transfer",
        "SentEval transfer tasks",
        "Linear probes on frozen embeddings ([protocol](evaluation.md)).",
        (Kind(_named(r"transfer_tasks.*\.json"), _transfer),),
    ),
    Group(
        "results",
        "paper-scale-gpu",
        "A paper-sized run on a GPU",
        "The `conf/paper` hyper-parameters on a GPU, a local base model.",
        (Kind(_named(r"paper_scale_gpu.*\.json"), _paper_scale),),
    ),
    Group(
        "results",
        "dev-sweeps",
        "How the settings were chosen: STS-B dev sweeps",
        "Short training runs per candidate setting, scored on STS-B **dev** only.",
        (Kind(_named(r"dev_sweep.*\.json"), _dev_sweep),),
    ),
    Group(
        "benchmarks",
        "chain-timing",
        "The default chain",
        "Wall seconds of whole stages, Kedro's start-up included.",
        (
            Kind(
                _named(r"chain_timing.*\.json"),
                _chain_timing,
                (("chain_timing.json", "`python benchmarks/chain_timing.py`"),),
            ),
            Kind(_named(r"evaluation_stage.*\.json"), _evaluation_stage),
        ),
    ),
    Group(
        "benchmarks",
        "encoding-speed",
        "Encoding speed",
        "Sentences per second of encoding, model loading not timed unless said.",
        (
            Kind(_named(r"backend_speed.*\.json", r"encode_speed.*\.json"), _variant_speed),
            Kind(_named(r"inference_speed.*\.json"), _inference_speed),
            Kind(_named(r"precision_speed.*\.json"), _precision_speed),
            Kind(_named(r"forward_options.*\.json"), _forward_options),
            Kind(_named(r"eval_speed.*\.json"), _eval_speed),
            Kind(_named(r"encode_large.*\.json"), _encode_large),
            Kind(_named(r"st_onnx_backend.*\.json"), _st_onnx_backend),
        ),
    ),
    Group(
        "benchmarks",
        "profile-encode",
        "Where the time of one encode goes",
        "`torch.profiler` self CPU time per operator group, beside the unprofiled wall time.",
        (Kind(_named(r"profile_encode.*\.json"), _profile_encode),),
    ),
    Group(
        "benchmarks",
        "training-speed",
        "Training speed and determinism",
        "",
        (
            Kind(_named(r"train_throughput.*\.json"), _train_throughput),
            Kind(_named(r"ddp_throughput.*\.json"), _ddp_throughput),
            Kind(_named(r"determinism.*\.json"), _determinism),
        ),
    ),
    Group(
        "benchmarks",
        "evaluation-speed",
        "Evaluation and start-up",
        "",
        (
            Kind(_named(r"zero_shot_suite.*\.json"), _zero_shot_suite),
            Kind(_named(r"probe_workers.*\.json"), _probe_workers),
            Kind(_named(r"kedro_startup.*\.json"), _kedro_startup),
        ),
    ),
    Group(
        "benchmarks",
        "mutation",
        "Mutation testing",
        "Each module where a silent error would corrupt results, mutated and run against its "
        "own tests ([the report](mutation.md)).",
        (Kind(_named(r"mutation/(.*/)?report\.json"), _mutation),),
    ),
)

# Files that only complete another table (read beside it) or record no measurement
AUXILIARY = (
    re.compile(r"(.*/)?" + re.escape(MACHINE_FILE)),
    re.compile(r"(.*/)?[^/]*win_tie_loss[^/]*\.json"),
    re.compile(r"mutation/(.*/)?equivalent\.json"),
)


# ------------------------------------------------------------------------------------- pages


def render_pages(project: Path) -> dict[str, str]:
    """The generated pages of ``project`` by name (:data:`PAGES`): their Markdown."""
    results = read_results(project)
    claimed: set[str] = set()
    sections: dict[str, list[str]] = {"results": [], "benchmarks": []}
    for group in GROUPS:
        parts = []
        for kind in group.kinds:
            mine = [r for r in results if r.name not in claimed and kind.matches(r)]
            claimed.update(r.name for r in mine)
            parts += [_render(kind, r, project) for r in mine]
            parts += [
                f"Not committed yet: `{RESULTS_DIR.as_posix()}/{name}` (from {how})."
                for name, how in kind.expected
                if not any(_fills(r.name, name) for r in mine)
            ]
        heading = f"## {group.title} {{#{group.anchor}}}"
        sections[group.page].append("\n\n".join(filter(None, [heading, group.intro, *parts])))
    others = [
        r
        for r in results
        if r.name not in claimed and not any(p.fullmatch(r.name) for p in AUXILIARY)
    ]
    sections["benchmarks"].append(_others(others))
    headline = headline_table(results, project)
    return {
        "results": _page(sections["results"]),
        "benchmarks": _page(sections["benchmarks"]),
        "headline": headline,
    }


def _fills(name: str, expected: str) -> bool:
    """Whether the result file ``name`` is the expected file, or lies in the expected folder
    (``zero_shot/quick/``)."""
    return name == expected or (expected.endswith("/") and name.startswith(expected))


def _render(kind: Kind, result: ResultFile, project: Path) -> str:
    try:
        return kind.render(result, project).markdown()
    except ResultsError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ResultsError(
            f"{result.source}: not the layout its table expects ({type(error).__name__}: {error})"
        ) from error


def _others(results: Sequence[ResultFile]) -> str:
    heading = "## Other result files {#other}"
    if not results:
        return f"{heading}\n\nEvery result file has its table above."
    rows = [
        [
            f"`{r.source}`",
            machine_description(r.data, _sidecar(r)) if r.name.endswith(".json") else MISSING,
        ]
        for r in results
    ]
    return "\n\n".join(
        [
            heading,
            "Result files no table above renders yet (read the file itself):",
            markdown_table(["file", "machine"], rows),
        ]
    )


def _page(sections: Sequence[str]) -> str:
    banner = (
        f"<!-- Generated by `{COMMAND}` from benchmarks/results/: do not edit; "
        "regenerate instead. -->"
    )
    return "\n\n".join([banner, *sections]) + "\n"


def headline_table(results: Sequence[ResultFile], project: Path) -> str:
    """The headline: the STS-7 avg of the main rows in each seeded study (mean ± std over the
    seeds) and their zero-shot overall average, each column naming its file and machine."""
    studies = sorted(
        (r for r in results if _is_study(r)),
        key=lambda r: (list(STUDY_BASES).index(r.stem) if r.stem in STUDY_BASES else 99, r.name),
    )
    zero_shot = sorted(
        (r for r in results if _is_zero_shot_table(r)),
        key=lambda r: (
            list(ZERO_SHOT_SUITES).index(r.folder) if r.folder in ZERO_SHOT_SUITES else 99,
            r.name,
        ),
    )[:1]
    columns: list[tuple[str, dict[str, str | None], ResultFile, bool]] = []
    for study in studies:
        base = STUDY_BASES.get(study.stem, f"study `{study.stem}`")
        seeds = len(study.data.get("seeds", []))
        cells = {
            row.get("variant"): _mean_std(row.get("avg_mean"), row.get("avg_std"))
            for row in study.data.get("summary", [])
            if isinstance(row, Mapping)
        }
        columns.append((f"STS-7 avg, {base} ({seeds} seeds)", cells, study, False))
    for table in zero_shot:
        suite = ZERO_SHOT_SUITES.get(table.folder, table.folder)
        columns.append((f"zero-shot overall, {suite}", _zero_shot_overall(table.data), table, True))
    rows = []
    for label, study_row, encoder in HEADLINE_ROWS:
        cells = [
            values.get(encoder if by_encoder else study_row) for _, values, _, by_encoder in columns
        ]
        if any(cell is not None for cell in cells):
            rows.append([label, *cells])
    if not rows:
        return "No headline yet: no seeded study or zero-shot result is committed.\n"
    sources = "; ".join(f"`{result.source}` ({_machine_of(result)})" for _, _, result, _ in columns)
    return (
        markdown_table(["model", *(header for header, *_ in columns)], rows)
        + "\n\nSTS-7: Spearman × 100 averaged over STS12-16, STS-B and SICK-R, [CLS] of each "
        "trained model, mean ± std over seeds. Zero-shot: mteb's main score × 100, the mean "
        f"of the category means. Sources: {sources}. Generated by `{COMMAND}`.\n"
    )


def _zero_shot_overall(rows: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    import pandas as pd

    from jtcse.reporting.zero_shot import OVERALL, category_means

    table = pd.DataFrame(list(rows))
    table["score"] = pd.to_numeric(table["score"], errors="coerce")
    overall = category_means(table).loc[OVERALL] * 100
    return {encoder: _fixed(value) for encoder, value in overall.items()}


# ---------------------------------------------------------------------------------- writing


def page_path(project: Path, name: str) -> Path:
    """Where the generated page ``name`` (:data:`PAGES`) is written."""
    return project / GENERATED_DIR / f"{name}.md"


def readme_region(text: str, source: str) -> tuple[int, int]:
    """The start and end offsets of the text between the headline markers of ``text`` (a
    README read from ``source``); missing or repeated markers raise :class:`ResultsError`."""
    starts, ends = text.count(HEADLINE_START), text.count(HEADLINE_END)
    if starts != 1 or ends != 1:
        raise ResultsError(
            f"{source}: needs exactly one {HEADLINE_START} and one {HEADLINE_END} "
            f"(found {starts} and {ends})"
        )
    start = text.index(HEADLINE_START) + len(HEADLINE_START)
    end = text.index(HEADLINE_END)
    if end < start:
        raise ResultsError(f"{source}: {HEADLINE_END} comes before {HEADLINE_START}")
    return start, end


def with_headline(text: str, headline: str, source: str) -> str:
    """``text`` with the region between its headline markers replaced by ``headline``."""
    start, end = readme_region(text, source)
    return text[:start] + "\n" + headline.strip() + "\n" + text[end:]


def readme_is_current(text: str, headline: str, source: str) -> bool:
    """Whether the region between the headline markers of ``text`` is ``headline`` (up to
    the blank lines around it)."""
    start, end = readme_region(text, source)
    return text[start:end].strip() == headline.strip()


def has_headline_markers(text: str) -> bool:
    """Whether ``text`` holds either headline marker (a README that takes the headline)."""
    return HEADLINE_START in text or HEADLINE_END in text


def stale_files(project: Path, readme: Path | None = None) -> list[Path]:
    """The generated pages that differ from what :func:`render_pages` writes now (missing
    ones included), and ``readme`` where it has headline markers and its region differs."""
    pages = render_pages(project)
    stale = [
        page_path(project, name)
        for name, text in pages.items()
        if not page_path(project, name).is_file()
        or page_path(project, name).read_text(encoding="utf-8") != text
    ]
    if readme is not None and readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if has_headline_markers(text) and not readme_is_current(
            text, pages["headline"], str(readme)
        ):
            stale.append(readme)
    return stale


def write_pages(project: Path, readme: Path | None = None) -> list[Path]:
    """Write every generated page, and the headline into ``readme`` where it has the
    markers; return the files written (those whose content changed)."""
    pages = render_pages(project)
    written = []
    for name, text in pages.items():
        path = page_path(project, name)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_text_atomic(path, text)
            written.append(path)
    if readme is not None and readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if has_headline_markers(text):
            updated = with_headline(text, pages["headline"], str(readme))
            if updated != text:
                write_text_atomic(readme, updated)
                written.append(readme)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module)."""
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Write the Results and Benchmarks pages' tables and the README's headline "
        "from the result files under benchmarks/results/.",
        epilog=f"Examples: {COMMAND}; {COMMAND} --check; "
        f"{COMMAND} --record-machine benchmarks/results/zero_shot/quick",
    )
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="the project root")
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="the README whose headline region to write or check (default: README.md of the "
        "project; left alone without the markers)",
    )
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    parser.add_argument(
        "--record-machine",
        type=Path,
        metavar="FOLDER",
        help=f"write this machine's CPU to FOLDER/{MACHINE_FILE} and stop",
    )
    args = parser.parse_args(argv)
    readme = args.readme if args.readme is not None else args.project / README
    try:
        if args.record_machine is not None:
            print(f"wrote {record_machine(args.record_machine)}")
            return 0
        if args.check:
            stale = stale_files(args.project, readme)
            for path in stale:
                print(f"{path} is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1 if stale else 0
        for path in write_pages(args.project, readme):
            print(f"wrote {path}")
    except ResultsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
