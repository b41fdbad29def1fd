"""The statistics of the seeded ablation on synthetic per-pair scores with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jtcse.data.senteval import ALL_TASKS
from jtcse.reporting.ablation import (
    differences_markdown,
    paired_differences,
    seed_scores,
    summary_markdown,
    variant_summary,
)

PAIRS_PER_TASK = 80


def synthetic_pair_scores(noise: dict[str, float], seeds=(1, 2, 3)) -> pd.DataFrame:
    """Gold scores shared by all runs; each variant's system = gold + its noise level x a
    seed-dependent draw (``noise`` 0: the gold ranking itself)."""
    rng = np.random.default_rng(7)
    gold = {task: rng.uniform(0, 5, PAIRS_PER_TASK) for task in ALL_TASKS}
    frames = []
    for seed in seeds:
        draws = {task: np.random.default_rng(seed).normal(size=PAIRS_PER_TASK) for task in gold}
        for variant, level in noise.items():
            for task, values in gold.items():
                frames.append(
                    pd.DataFrame(
                        {
                            "seed": seed,
                            "variant": variant,
                            "key": task,
                            "pair": np.arange(PAIRS_PER_TASK),
                            "system": values + level * draws[task],
                            "score": values,
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True)


def test_seed_scores_are_spearman_per_task_and_their_mean():
    pairs = synthetic_pair_scores({"exact": 0.0, "noisy": 2.0})
    scores = seed_scores(pairs).set_index(["seed", "variant"])
    assert scores.loc[(1, "exact"), "avg"] == pytest.approx(100.0)
    part = pairs[(pairs["seed"] == 2) & (pairs["variant"] == "noisy") & (pairs["key"] == "STS14")]
    expected = stats.spearmanr(part["system"], part["score"]).statistic * 100
    assert scores.loc[(2, "noisy"), "STS14"] == pytest.approx(expected)
    assert scores.loc[(2, "noisy"), "avg"] == pytest.approx(
        scores.loc[(2, "noisy"), list(ALL_TASKS)].mean()
    )


def test_summary_is_mean_and_sample_std_over_seeds():
    scores = seed_scores(synthetic_pair_scores({"noisy": 2.0}))
    summary = variant_summary(scores, ["noisy"]).iloc[0]
    assert summary["seeds"] == 3
    assert summary["avg_mean"] == pytest.approx(scores["avg"].mean())
    assert summary["avg_std"] == pytest.approx(scores["avg"].std(ddof=1))
    assert "| noisy | 3 |" in summary_markdown(variant_summary(scores, ["noisy"]))


def test_paired_differences_give_the_t_interval_and_a_bootstrap_that_sees_the_gap():
    pairs = synthetic_pair_scores({"reference": 2.0, "same": 2.0, "better": 0.5})
    scores = seed_scores(pairs)

    table = paired_differences(scores, pairs, ["reference", "same", "better"], ["reference"], 200)

    same, better = table.set_index("variant").loc[["same", "better"]].to_dict("records")
    assert same["mean"] == 0 and same["boot_low"] == same["boot_high"] == 0 and same["wins"] == 0
    by_run = scores.set_index(["seed", "variant"])["avg"]
    differences = [by_run[(s, "better")] - by_run[(s, "reference")] for s in (1, 2, 3)]
    low, high = stats.t.interval(0.95, 2, loc=np.mean(differences), scale=stats.sem(differences))
    assert (better["t_low"], better["t_high"]) == pytest.approx((low, high))
    assert better["wins"] == 3 and 0 < better["boot_low"] < better["mean"] < better["boot_high"]
    assert "| better | reference | +" in differences_markdown(table)


def test_a_run_that_scored_other_pairs_is_refused():
    pairs = synthetic_pair_scores({"reference": 2.0, "short": 1.0})
    pairs = pairs.drop(pairs[(pairs["variant"] == "short") & (pairs["pair"] == 0)].index)
    with pytest.raises(ValueError, match="variant short: 79 pairs of STS12, expected 80"):
        paired_differences(seed_scores(pairs), pairs, ["reference", "short"], ["reference"], 10)
