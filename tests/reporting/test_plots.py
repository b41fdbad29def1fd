"""Tests of the report's figures: panels, lines, bars and labels come from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jtcse.reporting.plots import (
    DEV_LABEL,
    MASS_LABEL,
    loss_terms,
    plot_cls_attention_mass,
    plot_sts_bar_chart,
    plot_training_curves,
)

NAN = float("nan")


def _curves() -> dict[str, pd.DataFrame]:
    tower = pd.DataFrame(
        {
            "step": [1, 2, 3, 4],
            "loss": [2.0, 1.8, 1.7, 1.5],
            "nce": [2.0, 1.8, 1.7, 1.5],  # a single-term loss: drawn once, as "loss"
            "learning_rate": [1e-3] * 4,
            "dev_score": [NAN, 40.0, NAN, 55.0],
        }
    )
    joint = pd.DataFrame(
        {
            "step": [5, 10, 15],
            "loss": [9.0, 8.0, 7.5],
            "nce": [6.0, 5.5, 5.0],
            "ictm": [0.04, 0.03, NAN],
            "grad_norm": [30.0, 20.0, 10.0],
            "dev_score": [NAN, 60.0, 62.0],
        }
    )
    never_evaluated = pd.DataFrame({"step": [1, 2], "loss": [1.0, -0.5], "dev_score": [NAN, NAN]})
    return {"tower_1": tower, "jtcse": joint, "student": never_evaluated}


def _lines_by_label(axes) -> dict:
    return {line.get_label(): line for line in axes.get_lines()}


def test_loss_terms_put_the_total_first_and_skip_copies_of_it():
    curves = _curves()
    assert loss_terms(curves["tower_1"]) == ["loss"]
    assert loss_terms(curves["jtcse"]) == ["loss", "nce", "ictm"]
    with pytest.raises(ValueError, match="'loss'"):
        loss_terms(pd.DataFrame({"step": [1], "nce": [1.0]}))


def test_training_curves_have_one_panel_per_run_with_its_terms_and_dev_score():
    curves = _curves()
    figure = plot_training_curves(curves, columns=2)
    main = [axes for axes in figure.axes if axes.get_title()]
    assert [axes.get_title() for axes in main] == list(curves)
    assert len(figure.axes) == 2 * len(curves)  # each panel and its dev-score twin; no spare
    for axes, curve in zip(main, curves.values(), strict=True):
        lines = _lines_by_label(axes)
        assert list(lines) == loss_terms(curve)
        for term, line in lines.items():
            logged = curve[["step", term]].dropna()
            np.testing.assert_array_equal(line.get_xdata(), logged["step"])
            np.testing.assert_array_equal(line.get_ydata(), logged[term])
        assert axes.get_xlabel() == "optimiser step"
        (twin,) = [
            other for other in axes.get_shared_x_axes().get_siblings(axes) if other is not axes
        ]
        (dev_line,) = twin.get_lines()
        evaluated = curve[["step", "dev_score"]].dropna()
        np.testing.assert_array_equal(dev_line.get_xdata(), evaluated["step"])
        np.testing.assert_array_equal(dev_line.get_ydata(), evaluated["dev_score"])
        assert twin.get_ylabel() == DEV_LABEL
        legend = [text.get_text() for text in axes.get_legend().get_texts()]
        assert legend == [*loss_terms(curve), "STS-B dev"]
    # log scale only where every loss value is positive and they span a factor of 20
    assert [axes.get_yscale() for axes in main] == ["linear", "log", "linear"]
    assert [axes.get_ylabel() for axes in main] == ["loss", "loss (log scale)", "loss"]
    with pytest.raises(ValueError, match="at least one"):
        plot_training_curves({})


RESULTS = {
    "base": {"avg": 73.65, "STSBenchmark-dev": 79.66},
    "tncse_ensemble": {"avg": 76.73, "STSBenchmark-dev": None},
    "jtcse_decoupled": {"avg": 76.71, "STSBenchmark-dev": 83.27},
}


def test_sts_bar_chart_draws_one_labelled_bar_per_encoder_in_order():
    figure = plot_sts_bar_chart(RESULTS, encoders=["jtcse_decoupled", "base"])
    (axes,) = figure.axes
    (bars,) = axes.containers
    assert [bar.get_width() for bar in bars] == [76.71, 73.65]
    labels = {tick.get_text(): tick.get_position()[1] for tick in axes.get_yticklabels()}
    assert sorted(labels, key=labels.get) == ["jtcse_decoupled", "base"]
    assert axes.yaxis_inverted()  # so the first encoder is the top bar
    assert [text.get_text() for text in axes.texts] == ["76.71", "73.65"]
    assert axes.get_xlabel() == "STS-7 avg Spearman × 100 (axis starts at 70)"
    assert axes.get_xlim()[0] == 70 and axes.get_xlim()[1] > 76.71


def test_sts_bar_chart_defaults_to_every_encoder_and_keeps_zero_for_small_scores():
    results = {"tiny_cls": {"avg": -4.5}, "tiny_mean": {"avg": 8.25}}
    (axes,) = plot_sts_bar_chart(results).axes
    assert [tick.get_text() for tick in axes.get_yticklabels()] == list(results)
    assert [text.get_text() for text in axes.texts] == ["-4.50", "8.25"]
    low, high = axes.get_xlim()
    assert low < -4.5 and high > 8.25
    assert axes.get_xlabel() == "STS-7 avg Spearman × 100"
    with pytest.raises(ValueError, match="encoders"):
        plot_sts_bar_chart(RESULTS, encoders=["missing"])


ATTENTION = {
    "sentences": 12,
    "layers": [1, 2, 3, 4],
    "coupling": "value_swap",
    "cross_attention_layers": [2, 4],
    "mass": {
        "tncse": {
            "alone": {"tower_1": [0.1, 0.2, 0.3, 0.4], "tower_2": [0.15, 0.25, 0.35, 0.45]},
            "coupled": {"tower_1": [0.1, 0.2, 0.5, 0.6], "tower_2": [0.15, 0.25, 0.4, 0.5]},
        },
        "jtcse": {
            "alone": {"tower_1": [0.3, 0.3, 0.3, 0.3], "tower_2": [0.2, 0.2, 0.2, 0.2]},
            "coupled": {"tower_1": [0.3, 0.3, 0.7, 0.8], "tower_2": [0.2, 0.2, 0.6, 0.9]},
        },
    },
}


def test_cls_attention_mass_has_a_panel_per_tower_and_a_line_per_pair_and_mode():
    figure = plot_cls_attention_mass(ATTENTION)
    assert [axes.get_title() for axes in figure.axes] == ["tower_1", "tower_2"]
    assert "12 STS-B dev sentences" in figure.get_suptitle()
    assert figure.axes[0].get_ylabel() == MASS_LABEL
    for axes in figure.axes:
        tower = axes.get_title()
        lines = _lines_by_label(axes)
        assert list(lines) == ["tncse alone", "tncse coupled", "jtcse alone", "jtcse coupled"]
        for label, line in lines.items():
            pair, mode = label.split()
            np.testing.assert_array_equal(line.get_xdata(), ATTENTION["layers"])
            np.testing.assert_array_equal(line.get_ydata(), ATTENTION["mass"][pair][mode][tower])
            assert line.get_linestyle() == ("--" if mode == "alone" else "-")
        shaded = sorted(patch.get_x() + patch.get_width() / 2 for patch in axes.patches)
        assert shaded == [2, 4]  # the cross-attention layers
        assert axes.get_ylim()[0] == 0 and axes.get_ylim()[1] > 0.9
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend == list(_lines_by_label(figure.axes[0]))
