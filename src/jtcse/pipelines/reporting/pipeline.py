"""Wiring of the ``reporting`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import joint_folders, training_runs
from jtcse.pipelines.reporting.nodes import (
    measure_cls_attention_mass,
    plot_cls_attention_mass_node,
    plot_sts_bar_chart_node,
    plot_training_curves_node,
    write_report,
)

TRAINING_RUNS = training_runs("tower_training", "jtcse_training", "distillation")
CURVES = {f"{run}_training_curve": f"{run}_training_curve" for run in TRAINING_RUNS}


def create_pipeline(**kwargs) -> Pipeline:
    """Results (STS and zero-shot), training curves and trained tower pairs -> PNG figures,
    the [CLS] attention mass (JSON) and the Markdown report."""
    params = "params:reporting"
    return pipeline(
        [
            node(
                plot_training_curves_node,
                CURVES,
                "training_curves_figure",
                name="plot_training_curves",
            ),
            node(
                plot_sts_bar_chart_node,
                ["sts_results", params],
                "sts_bar_chart_figure",
                name="plot_sts_bar_chart",
            ),
            node(
                measure_cls_attention_mass,
                ["sts_pairs", *joint_folders("tncse"), *joint_folders("jtcse"), params],
                "cls_attention_mass",
                name="measure_cls_attention_mass",
            ),
            node(
                plot_cls_attention_mass_node,
                "cls_attention_mass",
                "cls_attention_mass_figure",
                name="plot_cls_attention_mass",
            ),
            node(
                write_report,
                {
                    "sts_results_markdown": "sts_results_markdown",
                    "sts_results": "sts_results",
                    "cls_attention_mass": "cls_attention_mass",
                    "reporting_params": params,
                    "zero_shot_markdown": "zero_shot_markdown",
                }
                | CURVES,
                "results_report",
                name="write_report",
            ),
        ]
    )
