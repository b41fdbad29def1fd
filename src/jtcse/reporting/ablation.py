"""Statistics of the seeded ablation study: which differences between variants the seeds and
the STS pairs support.

Input: the per-pair system scores of every (seed, variant): one row per scored STS test pair
with the columns of :data:`PAIR_COLUMNS` (``key`` the task, ``pair`` the pair's position
within its task, the same pairs for every seed and variant; ``system`` the cosine, ``score``
the gold score).

- :func:`seed_scores`: Spearman x 100 per (seed, variant) on each task and their mean (STS-7
  avg), exactly as the evaluation pipeline scores them; where the pair scores hold STS-B dev
  (key :data:`~jtcse.evaluation.sts.DEV_KEY`), its Spearman too, outside the avg.
- :func:`variant_summary`: per variant, the mean and the sample standard deviation (ddof 1)
  of each score over the seeds.
- :func:`paired_differences`: for a variant v and a reference r (TNCSE, the plain ensemble)
  the within-seed differences d_s = avg(v, s) - avg(r, s) (same towers, same seed), their
  mean and its 95% confidence interval mean +- t_{0.975, S-1} sd(d) / sqrt(S) over the S seeds,
  and a paired bootstrap over STS pairs: B resamples of the pairs of each task, with
  replacement, shared by every seed and variant; on each, the seed mean of d_s is recomputed;
  the interval is the 2.5 and 97.5 percentiles. The t interval measures seed variation, the
  bootstrap the sampling of the test pairs; a difference is supported only when both exclude 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from jtcse.data.senteval import ALL_TASKS
from jtcse.evaluation.sts import DEV_KEY, spearman_x100

PAIR_COLUMNS = ("seed", "variant", "key", "pair", "system", "score")
AVG = "avg"
# every score column in report order: the seven tasks, their avg, STS-B dev (where scored)
SCORE_COLUMNS = (*ALL_TASKS, AVG, DEV_KEY)
CONFIDENCE = 0.95


def seed_scores(pair_scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (seed, variant): Spearman x 100 on each of the seven tasks and ``avg``, and
    on STS-B dev (column :data:`~jtcse.evaluation.sts.DEV_KEY`) where its pairs are present."""
    _check_columns(pair_scores)
    rows = []
    for (seed, variant), group in pair_scores.groupby(["seed", "variant"], sort=False):
        by_task = {
            task: spearman_x100(part["system"].to_numpy(), part["score"].to_numpy())
            for task, part in group.groupby("key", sort=False)
        }
        missing = [task for task in ALL_TASKS if task not in by_task]
        if missing:
            raise ValueError(f"seed {seed}, variant {variant}: no pairs for {missing}")
        scores = {task: by_task[task] for task in ALL_TASKS}
        dev = {DEV_KEY: by_task[DEV_KEY]} if DEV_KEY in by_task else {}
        rows.append(
            {"seed": seed, "variant": variant, **scores, AVG: np.mean(list(scores.values())), **dev}
        )
    return pd.DataFrame(rows)


def score_columns(scores: pd.DataFrame) -> tuple[str, ...]:
    """The score columns of :func:`seed_scores`' table in report order: the seven tasks, the
    avg, then STS-B dev where scored."""
    return tuple(column for column in SCORE_COLUMNS if column in scores)


def variant_summary(scores: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    """Per variant (in ``variants`` order): ``seeds``, then ``<task>_mean`` and ``<task>_std``
    (sample standard deviation over the seeds; NaN with one seed) for each of
    :func:`score_columns`."""
    rows = []
    for variant in variants:
        part = scores[scores["variant"] == variant]
        row: dict[str, float | str | int] = {"variant": variant, "seeds": len(part)}
        for column in score_columns(scores):
            row[f"{column}_mean"] = float(part[column].mean())
            row[f"{column}_std"] = float(part[column].std(ddof=1)) if len(part) > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(
    scores: pd.DataFrame,
    pair_scores: pd.DataFrame,
    variants: Sequence[str],
    references: Sequence[str],
    resamples: int = 1000,
    random_seed: int = 0,
) -> pd.DataFrame:
    """For each reference of ``references``, each variant of ``variants`` (but the reference)
    minus the reference on the STS-7 avg, within each seed: ``mean``, ``std``, ``t_low``,
    ``t_high`` (95% t interval over the seeds; NaN with fewer than two), ``boot_low``,
    ``boot_high`` (95% paired bootstrap over the STS pairs, one set of resamples shared by
    every comparison), ``seeds`` and ``wins`` (seeds where the variant is ahead)."""
    seeds = sorted(scores["seed"].unique())
    boot = _bootstrap_averages(pair_scores, resamples, random_seed)
    by_run = scores.set_index(["seed", "variant"])[AVG]
    rows = []
    for reference in references:
        for variant in variants:
            if variant == reference:
                continue
            differences = np.array(
                [by_run[(seed, variant)] - by_run[(seed, reference)] for seed in seeds]
            )
            boot_differences = np.mean(
                [boot[(seed, variant)] - boot[(seed, reference)] for seed in seeds], axis=0
            )
            t_low, t_high = _t_interval(differences)
            boot_low, boot_high = np.percentile(boot_differences, [2.5, 97.5])
            rows.append(
                {
                    "variant": variant,
                    "reference": reference,
                    "seeds": len(seeds),
                    "mean": float(differences.mean()),
                    "std": float(differences.std(ddof=1)) if len(seeds) > 1 else np.nan,
                    "t_low": t_low,
                    "t_high": t_high,
                    "boot_low": float(boot_low),
                    "boot_high": float(boot_high),
                    "wins": int((differences > 0).sum()),
                }
            )
    return pd.DataFrame(rows)


def summary_markdown(summary: pd.DataFrame) -> str:
    """The per-variant table: mean +- std over the seeds of each task, the avg and (where
    scored) STS-B dev."""
    columns = [column for column in SCORE_COLUMNS if f"{column}_mean" in summary]
    header = ["variant", "seeds", *columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in summary.to_dict("records"):
        cells = [_mean_std(row[f"{column}_mean"], row[f"{column}_std"]) for column in columns]
        lines.append(f"| {row['variant']} | {row['seeds']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def differences_markdown(differences: pd.DataFrame) -> str:
    """The paired-difference table: mean, t interval, bootstrap interval, wins per variant."""
    header = ["variant", "minus", "mean", "95% t (seeds)", "95% bootstrap (pairs)", "ahead in"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in differences.to_dict("records"):
        cells = [
            row["variant"],
            row["reference"],
            f"{row['mean']:+.2f}",
            _interval(row["t_low"], row["t_high"]),
            _interval(row["boot_low"], row["boot_high"]),
            f"{row['wins']}/{row['seeds']} seeds",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _bootstrap_averages(
    pair_scores: pd.DataFrame, resamples: int, random_seed: int
) -> dict[tuple[int, str], np.ndarray]:
    """STS-7 avg of every (seed, variant) on each of ``resamples`` resamplings of the pairs
    (the same resampled indices for all), as ``[resamples]`` arrays."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1; got {resamples}")
    rng = np.random.default_rng(random_seed)
    ordered = pair_scores.sort_values(["seed", "variant", "key", "pair"])
    tasks = {}
    for task in ALL_TASKS:
        gold = ordered[(ordered["key"] == task)].drop_duplicates("pair")["score"].to_numpy()
        indices = rng.integers(0, len(gold), size=(resamples, len(gold)))
        tasks[task] = (indices, _row_ranks(gold[indices]))
    averages = {}
    for (seed, variant), group in ordered.groupby(["seed", "variant"], sort=False):
        per_task = []
        for task, (indices, gold_ranks) in tasks.items():
            system = group[group["key"] == task]["system"].to_numpy()
            if len(system) != indices.shape[1]:
                raise ValueError(
                    f"seed {seed}, variant {variant}: {len(system)} pairs of {task}, "
                    f"expected {indices.shape[1]} (every run must score the same pairs)"
                )
            per_task.append(_row_pearson(_row_ranks(system[indices]), gold_ranks) * 100.0)
        averages[(seed, variant)] = np.mean(per_task, axis=0)
    return averages


def _row_ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank) along each row."""
    return stats.rankdata(values, axis=1)


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` with the same row of ``b``."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _t_interval(differences: np.ndarray) -> tuple[float, float]:
    if len(differences) < 2:
        return np.nan, np.nan
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(differences) - 1) * (
        differences.std(ddof=1) / np.sqrt(len(differences))
    )
    return float(differences.mean() - half), float(differences.mean() + half)


def _mean_std(mean: float, std: float) -> str:
    return f"{mean:.2f}" if np.isnan(std) else f"{mean:.2f} ± {std:.2f}"


def _interval(low: float, high: float) -> str:
    return "-" if np.isnan(low) else f"[{low:+.2f}, {high:+.2f}]"


def _check_columns(pair_scores: pd.DataFrame) -> None:
    missing = [column for column in PAIR_COLUMNS if column not in pair_scores]
    if missing:
        raise ValueError(f"pair scores need the columns {list(PAIR_COLUMNS)}; missing {missing}")
