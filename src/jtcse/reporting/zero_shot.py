"""The zero-shot report: scores per task and category, category means with an overall average
over categories, the average rank over tasks, win/tie/loss with a sign test per category and
overall, a heat map grouped by category and the Markdown section that joins ``report.md``.

The input is the zero-shot table (:data:`jtcse.evaluation.zero_shot.TABLE_COLUMNS`): one row
per encoder and task, ``score`` on mteb's 0-1 scale, ``category`` one of
:data:`CATEGORY_ORDER` (rows of other categories, e.g. reranking from the Hub, join the same
way, after them).

Reading many tasks as MTEB does: the **overall average** is the mean over categories of the
category means (each category counts once, whatever its number of tasks); the **average
rank** of an encoder is the mean over tasks of its rank among the encoders scored on that
task (1 = best; equal scores share the mean of their ranks).

Win/tie/loss, the paper's summary of many tasks: for the champion c and a baseline b, on every
task both were scored on, with the scores rounded to ``decimals`` places (4: the hundredths of
a percentage point that the tables show), c wins where s_c > s_b, ties where s_c = s_b, loses
where s_c < s_b. The sign test is the exact two-sided binomial test of wins against losses
(ties left out) under H0: P(win) = 1/2, p = min(1, 2 * P[X <= min(w, l)]), X ~ Bin(w + l, 1/2);
p = 1 when there is neither a win nor a loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import binomtest

# mteb's categories in its own order, then bitext mining and SentEval's transfer tasks
CATEGORY_ORDER = (
    "classification",
    "clustering",
    "pair_classification",
    "reranking",
    "retrieval",
    "sts",
    "summarization",
    "bitext_mining",
    "transfer",
)
OVERALL = "overall"


def score_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Tasks x encoders (scores 0-1), tasks grouped by category, encoders and tasks in the
    order they first appear; a duplicated (encoder, task) raises ValueError naming it."""
    duplicated = table.duplicated(["encoder", "task"])
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise ValueError(
            f"zero-shot table: encoder {first.encoder!r} has task {first.task!r} twice"
        )
    tasks = _ordered_tasks(table)
    matrix = table.pivot(index="task", columns="encoder", values="score")
    return matrix.loc[tasks, list(pd.unique(table["encoder"]))]


def _ordered_tasks(table: pd.DataFrame) -> list[str]:
    rank = {name: index for index, name in enumerate(CATEGORY_ORDER)}
    first = table.drop_duplicates("task")
    order = sorted(
        range(len(first)), key=lambda i: (rank.get(first["category"].iloc[i], len(rank)), i)
    )
    return [first["task"].iloc[i] for i in order]


def _categories(table: pd.DataFrame) -> list[str]:
    present = set(table["category"])
    return [c for c in CATEGORY_ORDER if c in present] + sorted(present - set(CATEGORY_ORDER))


def category_means(table: pd.DataFrame) -> pd.DataFrame:
    """Categories x encoders: the plain mean of each encoder's task scores in a category, then
    ``overall`` (the mean of its category means: see the module) and ``tasks`` (the plain
    mean over every task)."""
    encoders = list(pd.unique(table["encoder"]))
    means = table.pivot_table(index="category", columns="encoder", values="score", aggfunc="mean")
    means = means.loc[_categories(table), encoders]
    overall = means.mean()
    means.loc[OVERALL] = overall
    means.loc["tasks"] = table.groupby("encoder")["score"].mean()[encoders]
    return means


def average_ranks(table: pd.DataFrame) -> pd.Series:
    """Each encoder's mean rank over the tasks (see the module), in table order."""
    ranks = score_matrix(table).rank(axis=1, ascending=False, method="average")
    return ranks.mean(axis=0)


def win_tie_loss(
    table: pd.DataFrame, champion: str, baselines: Sequence[str], decimals: int = 4
) -> pd.DataFrame:
    """One row per category (in :data:`CATEGORY_ORDER`) and baseline, then one per baseline
    over every task (category ``overall``): ``tasks``, ``wins``, ``ties``, ``losses`` of
    ``champion`` against it and the sign test's two-sided ``p_value`` (see the module). A name
    that is not in the table raises ValueError naming it."""
    matrix = score_matrix(table).round(decimals)
    for name in (champion, *baselines):
        if name not in matrix:
            raise ValueError(f"zero-shot report: encoder {name!r} is not in the results")
    category = table.drop_duplicates("task").set_index("task")["category"]
    groups = [(name, matrix[category[matrix.index] == name]) for name in _categories(table)]
    rows = [
        {"category": name, "baseline": baseline, **_counts(scores, champion, baseline)}
        for name, scores in [*groups, (OVERALL, matrix)]
        for baseline in baselines
    ]
    columns = ["category", "baseline", "tasks", "wins", "ties", "losses", "p_value"]
    return pd.DataFrame(rows, columns=columns)


def _counts(matrix: pd.DataFrame, champion: str, baseline: str) -> dict[str, Any]:
    pair = matrix[[champion, baseline]].dropna()
    wins = int((pair[champion] > pair[baseline]).sum())
    losses = int((pair[champion] < pair[baseline]).sum())
    decided = wins + losses
    return {
        "tasks": len(pair),
        "wins": wins,
        "ties": len(pair) - decided,
        "losses": losses,
        "p_value": binomtest(wins, decided, 0.5).pvalue if decided else 1.0,
    }


def plot_heat_map(table: pd.DataFrame) -> Figure:
    """Tasks (rows, grouped by category: a line between categories, each category named on
    the right) x encoders (columns), each cell the main score x 100 written in it and coloured
    by it (viridis)."""
    matrix = score_matrix(table)
    category = table.drop_duplicates("task").set_index("task")["category"][matrix.index]
    labels = max(len(str(name)) for name in matrix.index)  # room for the task names (inches)
    figure = Figure(
        figsize=(3.8 + 0.07 * labels + 1.1 * matrix.shape[1], 1.8 + 0.35 * matrix.shape[0]),
        layout="constrained",
    )
    axes = figure.subplots()
    values = matrix.to_numpy() * 100
    image = axes.imshow(values, aspect="auto", cmap="viridis")
    axes.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=45, ha="right")
    axes.set_yticks(range(matrix.shape[0]), matrix.index)
    middle = np.nanmean([np.nanmin(values), np.nanmax(values)])
    for (row, column), value in np.ndenumerate(values):
        if not np.isnan(value):  # dark text on the light (high) end of viridis
            colour = "black" if value > middle else "white"
            axes.text(
                column, row, f"{value:.1f}", ha="center", va="center", fontsize=7, color=colour
            )
    bounds = np.flatnonzero(category.to_numpy()[1:] != category.to_numpy()[:-1]) + 1
    for start, end in zip([0, *bounds], [*bounds, len(category)], strict=True):
        if start:
            axes.axhline(start - 0.5, color="white", linewidth=2)
        axes.text(
            matrix.shape[1] - 0.4,
            (start + end - 1) / 2,
            category.iloc[start],
            ha="left",
            va="center",
            fontsize=8,
            rotation=0,
        )
    figure.colorbar(image, ax=axes, label="mteb main score × 100", pad=0.25)
    axes.set_title("Zero-shot (MTEB) main score per task and encoder")
    return figure


def seconds_by_category(table: pd.DataFrame) -> pd.DataFrame:
    """Categories x encoders: the seconds of each encoder's tasks in a category, "total / of
    which encoding" (a task listed per subset counts once), then the whole run."""
    runs = table.assign(run=table["task"].str.replace(r" \(.*\)$", "", regex=True))
    runs = runs.drop_duplicates(["encoder", "run"])
    encoders = list(pd.unique(table["encoder"]))

    def sums(column: str) -> pd.DataFrame:
        frame = runs.pivot_table(index="category", columns="encoder", values=column, aggfunc="sum")
        frame = frame.loc[_categories(table), encoders]
        frame.loc["total"] = frame.sum()
        return frame

    total, encoding = sums("seconds"), sums("encode_seconds")
    cells = [
        [f"{t:.0f} / {e:.0f}" if not np.isnan(t) else "" for t, e in zip(t_row, e_row, strict=True)]
        for t_row, e_row in zip(total.to_numpy(), encoding.to_numpy(), strict=True)
    ]
    return pd.DataFrame(cells, index=total.index, columns=total.columns)


def markdown_section(
    table: pd.DataFrame, comparisons: pd.DataFrame, champion: str, figure_link: str
) -> str:
    """The report's zero-shot section: the per-task table (score x 100, with each task's
    category and metric), the category means with the overall average and the average rank,
    the win/tie/loss table per category and the heat map."""
    matrix = score_matrix(table) * 100
    info = table.drop_duplicates("task").set_index("task")
    tasks = pd.concat([info.loc[matrix.index, ["category", "metric"]], matrix.round(2)], axis=1)
    means = (category_means(table) * 100).round(2)
    means.loc["average rank"] = average_ranks(table)[means.columns]
    wtl = comparisons.assign(p_value=comparisons["p_value"].map(lambda p: f"{p:.3g}"))
    return "\n\n".join(
        [
            "## Zero-shot evaluation (MTEB, main score × 100)",
            "mteb's own tasks, evaluators and seeds (the main score of each task on its test "
            "split, averaged over its evaluated subsets); the same numbers as mteb's result "
            "files under `mteb/`.",
            _markdown(tasks.reset_index()),
            "### Category means",
            "`overall`: the mean of the category means (each category counts once); `tasks`: "
            "the mean over every task; `average rank`: the mean over tasks of each encoder's "
            "rank (1 = best).",
            _markdown(means.reset_index().rename(columns={"index": "category"})),
            "### Seconds per category (total / of which encoding)",
            "Wall seconds of each encoder's tasks on the machine that ran them (the rest of "
            "a task's time is mteb's classifiers, clustering and scoring, or SentEval's "
            "classifiers); rows read from the embedding cache cost no encoding.",
            _markdown(
                seconds_by_category(table).reset_index().rename(columns={"index": "category"})
            ),
            f"### {champion}: wins / ties / losses per task, by category",
            "Scores rounded to two decimals of a point; p: two-sided sign test of wins against "
            "losses (ties left out).",
            _markdown(wtl),
            f"![Zero-shot heat map]({figure_link})",
        ]
    )


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *rows])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.2f}"
    return str(value)
