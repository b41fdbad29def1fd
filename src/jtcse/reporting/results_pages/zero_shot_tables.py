"""The zero-shot tables of the Results page: a run's ``zero_shot_results.csv`` (one row per
encoder and task, mteb's main score 0-1) as category means, average ranks and per-task scores,
all x 100, with the win/tie/loss comparisons beside it; and the check of ``base_mean`` against
the public MTEB results (``public_scores.json``). The statistics are
:mod:`jtcse.reporting.zero_shot`'s, imported (with pandas) only when a table is rendered."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jtcse.reporting.results_pages.formatting import (
    Section,
    figure,
    fixed,
    markdown_table,
    number,
    p_value,
    signed,
    yes_no,
)
from jtcse.reporting.results_pages.machines import machine_of
from jtcse.reporting.results_pages.reading import RESULTS_DIR, ResultFile

# The columns that make a CSV file a zero-shot table
ZERO_SHOT_COLUMNS = {"encoder", "task", "category", "metric", "score"}
# The columns of a zero-shot table that time each task (seconds, and the part spent encoding)
TIME_COLUMNS = {"seconds", "encode_seconds"}
# Zero-shot result folders, in the headline's order of preference, with their names
ZERO_SHOT_SUITES = {
    "zero_shot/quick": "quick suite",
    "zero_shot/full": "full suite",
    "zero_shot_chain": "the default chain's run, before the suites",
    "mlm_regime/zero_shot": "quick suite, the MLM regime's first seed",
}


def is_zero_shot_table(result: ResultFile) -> bool:
    """Whether ``result`` is a non-empty CSV with the :data:`ZERO_SHOT_COLUMNS`."""
    return (
        result.name.endswith(".csv")
        and bool(result.data)
        and set(result.data[0]) >= ZERO_SHOT_COLUMNS
    )


def _score_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """The rows as a pandas DataFrame, ``score`` numeric (NaN where it is not a number)."""
    import pandas as pd

    table = pd.DataFrame(list(rows))
    table["score"] = pd.to_numeric(table["score"], errors="coerce")
    return table


def zero_shot_tables(rows: Sequence[Mapping[str, Any]]) -> str:
    """The zero-shot table (one row per encoder and task, ``score`` 0-1): the category means
    with the overall average (mean of the category means), the mean over tasks and the
    average rank (:mod:`jtcse.reporting.zero_shot`), then every task's score x 100."""
    import pandas as pd

    from jtcse.reporting.zero_shot import average_ranks, category_means, score_matrix

    table = _score_table(rows)
    encoders = list(pd.unique(table["encoder"]))
    means = category_means(table) * 100
    ranks = average_ranks(table)
    summary = [
        [category, *(fixed(means.loc[category, e]) for e in encoders)] for category in means.index
    ]
    summary.append(["average rank", *(fixed(ranks[e]) for e in encoders)])
    matrix = score_matrix(table) * 100
    info = table.drop_duplicates("task").set_index("task")
    tasks = [
        [task, info.loc[task, "category"], info.loc[task, "metric"]]
        + [fixed(matrix.loc[task, e]) for e in encoders]
        for task in matrix.index
    ]
    parts = [
        "mteb's main score × 100 on each task's test split. `overall`: the mean of the "
        "category means (each category counts once); `tasks`: the mean over every task; "
        "`average rank`: the mean over tasks of each encoder's rank (1 = best).",
        markdown_table(["category", *encoders], summary),
        markdown_table(["task", "category", "metric", *encoders], tasks),
    ]
    if set(table.columns) >= TIME_COLUMNS:
        parts += [_seconds_table(table, encoders)]
    return "\n\n".join(parts)


def _seconds_table(table: Any, encoders: Sequence[str]) -> str:
    """Wall seconds per category and encoder, "total / of which encoding", and the run's
    totals (:func:`jtcse.reporting.zero_shot.seconds_by_category`)."""
    import pandas as pd

    from jtcse.reporting.zero_shot import seconds_by_category

    timed = table.assign(**{column: pd.to_numeric(table[column]) for column in TIME_COLUMNS})
    seconds = seconds_by_category(timed)
    rows = [[category, *(seconds.loc[category, e] for e in encoders)] for category in seconds.index]
    return (
        'Wall seconds of each encoder\'s tasks in the run, "total / of which encoding" (the '
        "rest is mteb's classifiers, clustering and scoring, or SentEval's classifiers; rows "
        "read from the embedding cache cost no encoding).\n\n"
        + markdown_table(["category", *encoders], rows)
    )


def zero_shot_overall(rows: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """Each encoder's overall zero-shot average x 100 (the mean of its category means), as
    the headline prints it."""
    from jtcse.reporting.zero_shot import OVERALL, category_means

    overall = category_means(_score_table(rows)).loc[OVERALL] * 100
    return {encoder: fixed(value) for encoder, value in overall.items()}


def zero_shot(result: ResultFile, project: Path) -> Section:
    """A zero-shot table (:func:`zero_shot_tables`) with the win/tie/loss files and the heat
    map beside it; the machine is the folder's ``machine.json``."""
    suite = ZERO_SHOT_SUITES.get(result.folder)
    title = f"Zero-shot, {suite}" if suite else f"Zero-shot, `{result.folder or result.stem}`"
    notes = []
    sources = [result.source]
    for path in sorted(result.path.parent.glob("*win_tie_loss*.json")):
        comparisons = json.loads(path.read_text(encoding="utf-8"))
        sources.append((RESULTS_DIR / path.relative_to(project / RESULTS_DIR)).as_posix())
        notes.append(_win_tie_loss(comparisons))
    heat_map = figure(result, project, "*heat_map*.png", "Zero-shot heat map")
    if heat_map:
        notes.append(heat_map)
    return Section(
        title=title,
        sources=sources,
        machine=machine_of(result),
        body=zero_shot_tables(result.data),
        notes=notes,
    )


def _win_tie_loss(comparisons: Any) -> str:
    """A win/tie/loss file (a list of rows, one per comparison) as a table, its columns as
    the file names them, ``p_value`` to three significant digits."""
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
            [[p_value(r.get(c)) if c == "p_value" else r.get(c) for c in columns] for r in rows],
        )
    )


def _times_100(value: Any) -> float | None:
    """A score 0-1 as points (x 100); ``None`` where it is not a number."""
    parsed = number(value)
    return None if parsed is None else 100 * parsed


def public_scores(result: ResultFile, project: Path) -> Section:
    """``public_scores.json`` (``benchmarks/zero_shot_public.py``): one encoder's zero-shot
    scores task by task against the public MTEB results of the same model, x 100, with the
    difference, whether it is within the file's tolerance, the public run's mteb version and
    the file's note."""
    data = result.data
    tasks = [row for row in data.get("tasks", []) if isinstance(row, Mapping)]
    rows = [
        [
            row.get("task"),
            row.get("category"),
            fixed(_times_100(row.get("ours"))),
            fixed(_times_100(row.get("public"))),
            signed(_times_100(row.get("difference"))),
            yes_no(row.get("within_tolerance")),
            row.get("public_mteb_version") or None,
            row.get("note") or None,
        ]
        for row in tasks
    ]
    tolerance = fixed(_times_100(data.get("tolerance")))
    return Section(
        title=f"`{data.get('encoder')}` against the public MTEB results",
        sources=[result.source],
        machine=machine_of(result),
        body=markdown_table(
            ["task", "category", "ours", "public", "difference", "within", "public mteb", "note"],
            rows,
        ),
        command="python benchmarks/zero_shot_public.py",
        notes=[
            "mteb's main score × 100 on each task's test split: ours from this project's run, "
            "the public value from the MTEB results of the same model (ER: "
            "embeddings-benchmark/results; MP: embeddings-benchmark/mtebpaper); `within`: the "
            f"difference is at most {tolerance} points."
        ],
    )
