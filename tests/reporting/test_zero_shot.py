"""The zero-shot report: win/tie/loss counting with the sign test, category means, the
heat map and the Markdown section."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from jtcse.reporting.zero_shot import (
    average_ranks,
    category_means,
    markdown_section,
    plot_heat_map,
    score_matrix,
    win_tie_loss,
)

# task -> (category, jtcse, base, other); None: not scored
SCORES = {
    "Banking77Classification": ("classification", 0.80, 0.70, 0.90),
    "EmotionClassification": ("classification", 0.50, 0.40, 0.60),
    "STS12": ("sts", 0.71231, 0.71234, 0.50),  # equal at 4 decimals: a tie
    "STS13": ("sts", 0.60, 0.65, 0.50),
    "Tatoeba": ("bitext_mining", 0.30, 0.20, None),
    "MR": ("transfer", 0.82, None, 0.70),  # a transfer row the baseline lacks
}


def _table() -> pd.DataFrame:
    rows = []
    for task, (category, *scores) in SCORES.items():
        for encoder, score in zip(("jtcse", "base", "other"), scores, strict=True):
            if score is not None:
                rows.append(
                    {
                        "encoder": encoder,
                        "task": task,
                        "category": category,
                        "metric": "m",
                        "score": score,
                        "seconds": 1.0,
                        "encode_seconds": 0.25,
                    }
                )
    return pd.DataFrame(rows)


def _overall(result: pd.DataFrame) -> pd.DataFrame:
    return result[result["category"] == "overall"].set_index("baseline")


def test_win_tie_loss_counts_the_tasks_both_scored_and_runs_the_sign_test() -> None:
    result = _overall(win_tie_loss(_table(), "jtcse", ["base", "other"]))
    base = result.loc["base"]
    # Banking77, Emotion, Tatoeba won; STS12 tied; STS13 lost; MR not scored by base
    assert (base.tasks, base.wins, base.ties, base.losses) == (5, 3, 1, 1)
    assert base.p_value == pytest.approx(0.625)  # 2 * P[Bin(4, 1/2) <= 1] = 2 * 5/16
    other = result.loc["other"]
    # Banking77 and Emotion lost; STS12, STS13, MR won; Tatoeba not scored by other
    assert (other.tasks, other.wins, other.ties, other.losses) == (5, 3, 0, 2)
    assert other.p_value == pytest.approx(1.0)


def test_more_decimals_turn_the_tie_into_a_loss() -> None:
    base = _overall(win_tie_loss(_table(), "jtcse", ["base"], decimals=6)).loc["base"]
    assert (base.wins, base.ties, base.losses) == (3, 0, 2)


def test_all_wins_give_the_smallest_p_value() -> None:
    table = _table()
    table.loc[table["encoder"] == "base", "score"] = 0.0
    base = _overall(win_tie_loss(table, "jtcse", ["base"])).loc["base"]
    assert (base.wins, base.ties, base.losses) == (5, 0, 0)
    assert base.p_value == pytest.approx(2 / 2**5)


def test_win_tie_loss_per_category_adds_up_to_the_overall_counts() -> None:
    result = win_tie_loss(_table(), "jtcse", ["base", "other"])
    assert list(result["category"].unique()) == [
        "classification",
        "sts",
        "bitext_mining",
        "transfer",
        "overall",
    ]
    sts = result[(result["category"] == "sts") & (result["baseline"] == "base")].iloc[0]
    assert (sts.tasks, sts.wins, sts.ties, sts.losses) == (2, 0, 1, 1)
    assert sts.p_value == pytest.approx(1.0)
    parts = result[result["category"] != "overall"].groupby("baseline")[
        ["tasks", "wins", "ties", "losses"]
    ]
    overall = _overall(result)[["tasks", "wins", "ties", "losses"]]
    pd.testing.assert_frame_equal(parts.sum().loc[overall.index], overall, check_dtype=False)


def test_average_rank_over_tasks_shares_ranks_of_equal_scores() -> None:
    table = _table()
    ranks = average_ranks(table)
    # unrounded scores; jtcse: 2, 2, 2, 2, 1, 1 (Banking, Emotion, STS12, STS13, Tatoeba, MR)
    assert ranks["jtcse"] == pytest.approx(10 / 6)
    # base: 3, 3, 1, 1, 2 (no MR); other: 1, 1, 3, 3, 2 (of 2 on MR; no Tatoeba)
    assert ranks["base"] == pytest.approx(10 / 5)
    assert ranks["other"] == pytest.approx(10 / 5)
    tied = table.assign(score=0.5)
    # equal scores: three encoders share rank 2, two share 1.5 (Tatoeba, MR)
    assert average_ranks(tied).to_dict() == pytest.approx(
        {"jtcse": (4 * 2 + 2 * 1.5) / 6, "base": (4 * 2 + 1.5) / 5, "other": (4 * 2 + 1.5) / 5}
    )


def test_an_unknown_encoder_is_named() -> None:
    with pytest.raises(ValueError, match="encoder 'tncse' is not in the results"):
        win_tie_loss(_table(), "jtcse", ["tncse"])


def test_category_means_and_the_task_order() -> None:
    means = category_means(_table())
    assert list(means.index) == [
        "classification",
        "sts",
        "bitext_mining",
        "transfer",
        "overall",
        "tasks",
    ]
    assert means.loc["classification", "jtcse"] == pytest.approx(0.65)
    assert means.loc["transfer", "jtcse"] == pytest.approx(0.82)
    assert pd.isna(means.loc["transfer", "base"])
    assert means.loc["tasks", "base"] == pytest.approx((0.70 + 0.40 + 0.71234 + 0.65 + 0.20) / 5)
    # the mean of the category means: classification, sts, bitext_mining (no transfer row)
    assert means.loc["overall", "base"] == pytest.approx((0.55 + 0.68117 + 0.20) / 3)
    assert list(score_matrix(_table()).columns) == ["jtcse", "base", "other"]


def test_a_duplicated_row_is_named() -> None:
    table = pd.concat([_table(), _table().iloc[:1]])
    with pytest.raises(ValueError, match="'jtcse' has task 'Banking77Classification' twice"):
        score_matrix(table)


def test_heat_map_and_markdown() -> None:
    table = _table()
    figure = plot_heat_map(table)
    assert isinstance(figure, Figure)
    assert [label.get_text() for label in figure.axes[0].get_yticklabels()] == list(SCORES)
    comparisons = win_tie_loss(table, "jtcse", ["base", "other"])
    section = markdown_section(table, comparisons, "jtcse", "zero_shot_heat_map.png")
    assert "| Banking77Classification | classification | m | 80.00 | 70.00 | 90.00 |" in section
    assert "| overall | base | 5 | 3 | 1 | 1 | 0.625 |" in section
    # seconds: jtcse ran 6 tasks (1 s, of which 0.25 encoding, each), base 5
    assert "| total | 6 / 2 | 5 / 1 | 5 / 1 |" in section
    assert "| sts | 2 / 0 | 2 / 0 | 2 / 0 |" in section
    assert "| average rank | 1.67 | 2.00 | 2.00 |" in section
    assert "![Zero-shot heat map](zero_shot_heat_map.png)" in section
