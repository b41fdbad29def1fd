"""Nodes of the ``reporting`` pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from jtcse.tracking import log_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_training_curves_node(**curves: pd.DataFrame) -> Figure:
    """Draw the training curves of every run.

    Args:
        curves: ``<run>_training_curve`` tables by catalog name, in panel order.

    Returns:
        The figure: one panel per run (loss terms and STS-B dev score against the step).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.reporting.plots import plot_training_curves

    return plot_training_curves(_by_run(curves))


def plot_sts_bar_chart_node(
    sts_results: dict[str, dict[str, float | None]], reporting_params: dict[str, Any]
) -> Figure:
    """Draw the STS-7 average of each encoder as a bar chart.

    Args:
        sts_results: scores per encoder from ``evaluation``.
        reporting_params: ``sts_bar_chart.encoders`` (the bars, top to bottom; null: all).

    Returns:
        The bar chart.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.reporting.plots import plot_sts_bar_chart

    return plot_sts_bar_chart(sts_results, reporting_params["sts_bar_chart"].get("encoders"))


def measure_cls_attention_mass(
    sts_pairs: pd.DataFrame,
    tncse_tower_1: str,
    tncse_tower_2: str,
    jtcse_tower_1: str,
    jtcse_tower_2: str,
    reporting_params: dict[str, Any],
) -> dict[str, Any]:
    """Measure the [CLS] attention mass per layer of the TNCSE and the JTCSE tower pairs, each
    alone and coupled with the cross-attention that JTCSE training recorded.

    Args:
        sts_pairs: the STS table; the sentences come from the STS-B dev pairs.
        tncse_tower_1, tncse_tower_2: the towers jointly trained without cross-attention.
        jtcse_tower_1, jtcse_tower_2: the towers jointly trained with cross-attention.
        reporting_params: ``cls_attention_mass``: ``num_sentences``, ``batch_size``, ``bf16``.

    Returns:
        The masses per pair, mode, tower and layer (JSON); the mean over layers of each is
        logged to MLflow as ``cls_attention_mass.<pair>.<mode>.<tower>``.
    """
    return measure_attention_pairs(
        sts_pairs,
        {"tncse": (tncse_tower_1, tncse_tower_2), "jtcse": (jtcse_tower_1, jtcse_tower_2)},
        jtcse_tower_1,
        reporting_params["cls_attention_mass"],
        "cls_attention_mass.",
    )


def measure_attention_pairs(
    sts_pairs: pd.DataFrame,
    pairs: dict[str, tuple[str, str]],
    coupled_tower: str,
    options: dict[str, Any],
    metric_prefix: str,
) -> dict[str, Any]:
    """The [CLS] attention mass per layer of each tower pair of ``pairs`` (name -> folders),
    alone and coupled with the cross-attention recorded in the JTCSE tower ``coupled_tower``
    (:func:`jtcse.reporting.attention.compare_cls_attention_mass`) on the first
    ``options["num_sentences"]`` STS-B dev sentences; the mean over layers of each is logged
    to MLflow as ``<metric_prefix><pair>.<mode>.<tower>``."""
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.modeling.twin_tower_config import TwinTowerConfig
    from jtcse.reporting.attention import compare_cls_attention_mass, stsb_dev_sentences

    coupled = TwinTowerConfig.from_tower_folder(coupled_tower)
    result = compare_cls_attention_mass(
        pairs,
        stsb_dev_sentences(sts_pairs, options["num_sentences"]),
        coupled.num_cross_attention_layers,
        coupled.coupling,
        bf16=options.get("bf16", False),
        batch_size=options.get("batch_size", 32),
    )
    log_metrics(
        {
            f"{pair}.{mode}.{tower}": sum(values) / len(values)
            for pair, modes in result["mass"].items()
            for mode, towers in modes.items()
            for tower, values in towers.items()
        },
        metric_prefix,
    )
    return result


def plot_cls_attention_mass_node(cls_attention_mass: dict[str, Any]) -> Figure:
    """Draw the [CLS] attention mass per layer.

    Args:
        cls_attention_mass: the output of :func:`measure_cls_attention_mass`.

    Returns:
        The figure: one panel per tower, one line per pair and mode.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.reporting.plots import plot_cls_attention_mass

    return plot_cls_attention_mass(cls_attention_mass)


def write_report(
    sts_results_markdown: str,
    sts_results: dict[str, dict[str, float | None]],
    cls_attention_mass: dict[str, Any],
    reporting_params: dict[str, Any],
    zero_shot_markdown: str,
    **curves: pd.DataFrame,
) -> str:
    """Write the Markdown report: the results tables and every figure with its explanation.

    Args:
        sts_results_markdown: the results table from ``evaluation``.
        sts_results: the same scores as JSON.
        zero_shot_markdown: the zero-shot section from ``zero_shot`` (tables and heat map).
        cls_attention_mass: the output of :func:`measure_cls_attention_mass`.
        reporting_params: ``report.figure_links`` (figure -> PNG link relative to the report).
        curves: ``<run>_training_curve`` tables by catalog name.

    Returns:
        The report (Markdown).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.reporting.report import build_report

    return build_report(
        sts_results_markdown,
        sts_results,
        _by_run(curves),
        cls_attention_mass,
        reporting_params["report"]["figure_links"],
        zero_shot_markdown,
    )


def _by_run(curves: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {name.removesuffix("_training_curve"): curve for name, curve in curves.items()}
