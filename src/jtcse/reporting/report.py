"""The Markdown results report: the STS table, then each figure with what it shows."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from jtcse.reporting import FIGURES
from jtcse.reporting.attention import attention_mass_table
from jtcse.training.config import DEV_SCORE


def build_report(
    results_table: str,
    results: Mapping[str, Mapping[str, float | None]],
    curves: Mapping[str, pd.DataFrame],
    attention_mass: Mapping,
    figure_links: Mapping[str, str],
    zero_shot_section: str | None = None,
) -> str:
    """Markdown: the STS results table, the zero-shot section (when given), then the figures
    of :data:`FIGURES`, each embedded from ``figure_links[name]`` (a link relative to the
    report) with a short text that says what it shows and the numbers to read from it.

    Args:
        results_table: the Markdown table of the evaluation (Spearman × 100).
        results: the same scores per encoder (``avg`` is the STS-7 mean).
        curves: training curves by run name (``step``, loss terms, ``dev_score``).
        attention_mass: the output of ``compare_cls_attention_mass``.
        figure_links: figure name -> relative link of its PNG.
        zero_shot_section: the zero-shot (MTEB) section, with its own heat map
            (:func:`jtcse.reporting.zero_shot.markdown_section`).
    """
    missing = [name for name in FIGURES if name not in figure_links]
    if missing:
        raise ValueError(f"figure_links must name {list(FIGURES)}; missing {missing}")
    best = max(results, key=lambda name: results[name]["avg"])
    sections = [
        "# JTCSE results",
        "## STS results (Spearman × 100)\n\n"
        "Seven STS tasks and their mean (avg, STS-7); the STS-B dev column is the split used "
        "for model selection.\n\n" + results_table.strip(),
        *([zero_shot_section.strip()] if zero_shot_section else []),
        _figure(
            "STS-7 average per encoder",
            figure_links["sts_bar_chart"],
            "The mean Spearman × 100 over the seven tasks for each encoder. "
            f"Highest: **{best}** ({results[best]['avg']:.2f}).",
        ),
        _figure(
            "Training curves",
            figure_links["training_curves"],
            "One panel per training run: each loss term against the optimiser step (left "
            "axis) and the STS-B dev Spearman × 100 at every evaluation (right axis, circles). "
            "The model kept is the one at the best dev score.\n\n" + _best_dev_scores(curves),
        ),
        _figure(
            "Attention on [CLS]",
            figure_links["cls_attention_mass"],
            "Mean attention probability that a token puts on the [CLS] key, per layer and "
            f"tower, over {attention_mass['sentences']} STS-B dev sentences; each pair alone "
            "(dashed) and coupled with cross-attention at layers "
            f"{_layer_list(attention_mass['cross_attention_layers'])} (solid, "
            f"{attention_mass['coupling']}). The paper's claim is that cross-attention "
            "raises it (less attention sinking). A tower's attention probabilities come from "
            "its own queries and keys even at a cross-attention layer, so coupling changes "
            "them only after the first cross-attention layer. The TNCSE pair was trained "
            "without cross-attention: its coupled line is a what-if, run with JTCSE's "
            "layers. Mean over layers:\n\n" + _mass_summary(attention_mass),
            alt="Attention on CLS per layer",
        ),
    ]
    return "\n\n".join(sections) + "\n"


def _figure(title: str, link: str, text: str, alt: str | None = None) -> str:
    return f"## {title}\n\n![{alt or title}]({link})\n\n{text}"


def _best_dev_scores(curves: Mapping[str, pd.DataFrame]) -> str:
    lines = ["| run | best STS-B dev | at step | of steps |", "|---|---|---|---|"]
    for name, curve in curves.items():
        dev = curve[["step", DEV_SCORE]].dropna() if DEV_SCORE in curve else curve.iloc[0:0]
        last = int(curve["step"].max()) if len(curve) else 0
        if dev.empty:
            lines.append(f"| {name} | - | - | {last} |")
            continue
        row = dev.loc[dev[DEV_SCORE].idxmax()]
        lines.append(f"| {name} | {row[DEV_SCORE]:.2f} | {int(row['step'])} | {last} |")
    return "\n".join(lines)


def _mass_summary(attention_mass: Mapping) -> str:
    table = attention_mass_table(attention_mass)
    means = table.groupby(["pair", "mode", "tower"], sort=False)["mass"].mean()
    lines = ["| pair | mode | tower_1 | tower_2 |", "|---|---|---|---|"]
    for (pair, mode), towers in means.groupby(level=["pair", "mode"], sort=False):
        values = towers.droplevel(["pair", "mode"])
        lines.append(f"| {pair} | {mode} | {values['tower_1']:.4f} | {values['tower_2']:.4f} |")
    return "\n".join(lines)


def _layer_list(layers: list[int]) -> str:
    return ", ".join(str(layer) for layer in layers) if layers else "none"
