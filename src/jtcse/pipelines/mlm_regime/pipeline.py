"""Wiring of the ``mlm_regime`` study (``dvc repro studies/mlm_regime/dvc.yaml``): the grid
of the seeded studies (:func:`jtcse.pipelines.ablation.pipeline.study_pipeline`) trained from
``mlm_base`` (the ``mlm_pretraining`` pipeline's model), and the [CLS] attention mass per layer
of the first seed's models beside the supervised base."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import TOWERS, joint_folders
from jtcse.pipelines.ablation.pipeline import configured_grid, study_pipeline
from jtcse.pipelines.mlm_regime.nodes import measure_regime_attention
from jtcse.pipelines.reporting.nodes import plot_cls_attention_mass_node

STUDY = "mlm_regime"


def create_pipeline(**kwargs) -> Pipeline:
    """The study for its configured grid, then the attention measurement of its first seed."""
    grid = configured_grid(STUDY)
    seed = f"{STUDY}.seed_{grid['seeds'][0]}"
    attention = pipeline(
        [
            node(
                measure_regime_attention,
                {
                    "sts_pairs": "sts_pairs",
                    "mlm_base": "mlm_base",
                    "tower_params": "params:tower_training",
                    "reporting_params": "params:reporting",
                    **{tower: f"{seed}.{tower}" for tower in TOWERS},
                    **{
                        f"jtcse_{tower}": folder
                        for tower, folder in zip(
                            TOWERS, (f"{seed}.{f}" for f in joint_folders("jtcse")), strict=True
                        )
                    },
                },
                f"{STUDY}_attention",
                name=f"{STUDY}.measure_attention",
            ),
            node(
                plot_cls_attention_mass_node,
                f"{STUDY}_attention",
                f"{STUDY}_attention_figure",
                name=f"{STUDY}.plot_attention",
            ),
        ]
    )
    return study_pipeline(STUDY) + attention
