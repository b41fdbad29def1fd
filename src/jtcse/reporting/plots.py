"""The report's figures, each a :class:`matplotlib.figure.Figure` drawn off-screen.

Figures are built with ``Figure()`` rather than ``pyplot``: no global figure registry and no GUI
backend; saving them renders with Agg.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from jtcse.training.config import DEV_SCORE

NOT_LOSS_TERMS = ("step", "learning_rate", "grad_norm", DEV_SCORE)
TOTAL_LOSS = "loss"
DEV_LABEL = "STS-B dev Spearman × 100"
STS7_LABEL = "STS-7 avg Spearman × 100"
MASS_LABEL = "attention on [CLS] (mean probability)"
LOG_SCALE_RATIO = 20.0
_DEV_COLOUR = "black"
_MODE_STYLE = {
    "alone": {"linestyle": "--", "marker": "o", "fillstyle": "none", "markersize": 9},
    "coupled": {"linestyle": "-", "marker": "s", "markersize": 5},
}


def loss_terms(curve: pd.DataFrame) -> list[str]:
    """The loss columns of a training curve: ``loss`` first, then every other column except
    step, learning rate, gradient norm and dev score; a term equal to ``loss`` at every step
    (a single-term loss) is left out."""
    if TOTAL_LOSS not in curve:
        raise ValueError(f"a training curve needs a {TOTAL_LOSS!r} column; got {list(curve)}")
    others = [name for name in curve if name not in (*NOT_LOSS_TERMS, TOTAL_LOSS)]
    return [TOTAL_LOSS, *(name for name in others if not curve[name].equals(curve[TOTAL_LOSS]))]


def plot_training_curves(curves: Mapping[str, pd.DataFrame], columns: int = 2) -> Figure:
    """One panel per training run (titled by its name), against the optimiser step.

    Left axis: every loss term (dimensionless, as logged: each averaged over the steps since
    the previous log), on a log scale when all are positive and span a factor of at least
    :data:`LOG_SCALE_RATIO`. Right axis (black, circles): the STS-B dev Spearman × 100 at the
    steps where it was measured. Each panel's legend sits under it.
    """
    if not curves:
        raise ValueError("curves must hold at least one training run")
    if columns < 1:
        raise ValueError(f"columns must be at least 1; got {columns}")
    rows = math.ceil(len(curves) / columns)
    figure = Figure(figsize=(6.0 * columns, 4.0 * rows), layout="constrained")
    figure.suptitle("Training curves: loss terms and STS-B dev score per run")
    grid = figure.subplots(rows, columns, squeeze=False)
    panels = grid.ravel()
    for axes, (name, curve) in zip(panels, curves.items(), strict=False):
        _draw_curve(axes, name, curve)
    for axes in panels[len(curves) :]:
        axes.remove()
    return figure


def _draw_curve(axes: Axes, name: str, curve: pd.DataFrame) -> None:
    terms = loss_terms(curve)
    for term in terms:
        logged = curve[["step", term]].dropna()
        width = 2.0 if term == TOTAL_LOSS else 1.2
        axes.plot(logged["step"], logged[term], label=term, linewidth=width)
    values = curve[terms].to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    if values.size and values.min() > 0 and values.max() >= LOG_SCALE_RATIO * values.min():
        axes.set_yscale("log")
    axes.set_title(name)
    axes.set_xlabel("optimiser step")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("loss (log scale)" if axes.get_yscale() == "log" else "loss")
    axes.grid(alpha=0.3)
    dev_axes = axes.twinx()
    dev = curve[["step", DEV_SCORE]].dropna() if DEV_SCORE in curve else curve.iloc[0:0]
    dev_axes.plot(
        dev["step"], dev[DEV_SCORE], "o:", color=_DEV_COLOUR, markersize=4, label="STS-B dev"
    )
    dev_axes.set_ylabel(DEV_LABEL)
    lines = axes.get_lines() + dev_axes.get_lines()
    axes.legend(
        lines,
        [line.get_label() for line in lines],
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncols=min(len(lines), 4),
        frameon=False,
    )


def plot_sts_bar_chart(
    results: Mapping[str, Mapping[str, float | None]], encoders: Sequence[str] | None = None
) -> Figure:
    """Horizontal bars: the STS-7 ``avg`` (Spearman × 100, mean of the seven tasks) of each
    encoder, top to bottom in the order of ``encoders`` (default: the order of ``results``),
    with the value written at the end of each bar. When every value is above 10 the axis
    starts at a multiple of 10 below the lowest, as its label says, so that gaps show."""
    names = list(results) if encoders is None else list(encoders)
    unknown = [name for name in names if name not in results]
    if unknown or not names:
        raise ValueError(f"encoders must name results among {list(results)}; got {names}")
    values = np.array([float(results[name]["avg"]) for name in names])
    figure = Figure(figsize=(7.5, 0.45 * len(names) + 1.5), layout="constrained")
    axes = figure.subplots()
    bars = axes.barh(names, values, color="tab:blue")
    axes.bar_label(bars, fmt="%.2f", padding=3)
    axes.invert_yaxis()
    low, high = float(values.min()), max(float(values.max()), 0.0)
    truncated = low > 10.0
    start = 10.0 * math.floor((low - 2.0) / 10.0) if truncated else min(0.0, low)
    room = 0.15 * (high - start)  # for the value labels
    axes.set_xlim(start - room if low < 0 else start, high + room)
    note = f" (axis starts at {start:g})" if truncated and start > 0 else ""
    axes.set_xlabel(STS7_LABEL + note)
    if not truncated:
        axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_title("STS-7 average per encoder")
    axes.grid(axis="x", alpha=0.3)
    return figure


def plot_cls_attention_mass(result: Mapping) -> Figure:
    """One panel per tower: the [CLS] attention mass per layer (a probability in [0, 1]) of
    each tower pair (one colour each), dashed with open circles alone (no cross-attention) and
    solid with squares coupled; the cross-attention layers of the coupled mode are shaded.
    ``result`` is what :func:`jtcse.reporting.attention.compare_cls_attention_mass` returns."""
    layers = result["layers"]
    pairs = result["mass"]
    figure = Figure(figsize=(11.0, 4.0), layout="constrained")
    figure.suptitle(
        f"Attention on the [CLS] key per layer ({result['sentences']} STS-B dev sentences)"
    )
    panels = figure.subplots(1, 2, sharey=True)
    colours = {pair: f"C{index}" for index, pair in enumerate(pairs)}
    highest = max(
        max(values)
        for modes in pairs.values()
        for towers in modes.values()
        for values in towers.values()
    )
    for axes, tower in zip(panels, ("tower_1", "tower_2"), strict=True):
        for layer in result["cross_attention_layers"]:
            axes.axvspan(layer - 0.5, layer + 0.5, color="0.9", zorder=0)
        for pair, modes in pairs.items():
            for mode, towers in modes.items():
                axes.plot(
                    layers,
                    towers[tower],
                    color=colours[pair],
                    label=f"{pair} {mode}",
                    **_MODE_STYLE[mode],
                )
        axes.set_title(tower)
        axes.set_xlabel("layer (shaded: cross-attention when coupled)")
        axes.set_xticks(layers)
        axes.set_xlim(layers[0] - 0.5, layers[-1] + 0.5)
        axes.set_ylim(0.0, 1.15 * highest)
        axes.grid(alpha=0.3)
    panels[0].set_ylabel(MASS_LABEL)
    panels[0].legend(fontsize="small", loc="best")
    return figure


def plot_ablation(scores: pd.DataFrame, variants: Sequence[str]) -> Figure:
    """The seeded ablation: per variant (top to bottom in ``variants`` order) the STS-7 avg
    (Spearman × 100) of each seed as a grey dot and their mean ± one sample standard deviation
    as a black point with error bars (no bar with a single seed)."""
    unknown = [name for name in variants if name not in set(scores["variant"])]
    if unknown or not variants:
        raise ValueError(f"variants must name runs of the scores; got {list(variants)}")
    figure = Figure(figsize=(7.5, 0.45 * len(variants) + 1.6), layout="constrained")
    axes = figure.subplots()
    for row, variant in enumerate(variants):
        values = scores.loc[scores["variant"] == variant, "avg"].to_numpy(dtype=float)
        axes.plot(values, np.full(len(values), row), "o", color="0.65", markersize=4)
        spread = values.std(ddof=1) if len(values) > 1 else 0.0
        axes.errorbar(values.mean(), row, xerr=spread, fmt="s", color="black", capsize=3)
    axes.set_yticks(range(len(variants)), list(variants))
    axes.invert_yaxis()
    seeds = scores["seed"].nunique()
    axes.set_xlabel(f"{STS7_LABEL} (grey: each of {seeds} seeds; black: mean ± std)")
    axes.set_title("Ablation over seeds")
    axes.grid(axis="x", alpha=0.3)
    return figure
