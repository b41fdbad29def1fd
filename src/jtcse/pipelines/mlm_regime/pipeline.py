"""Wiring of the ``mlm_regime`` study (``dvc repro studies/mlm_regime/dvc.yaml``): the grid
of the seeded studies (:func:`jtcse.pipelines.ablation.pipeline.study_pipeline`) trained from
``mlm_base`` (the ``mlm_pretraining`` pipeline's model); for the first seed's models, the
[CLS] attention mass per layer beside the supervised base, and, with
``mlm_regime.zero_shot: true``, the zero-shot suite of the default chain (``zero_shot.tasks``
and ``zero_shot.encoders``, read from this study's models, in the namespace
``mlm_regime_zero_shot``)."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import BASE_FAMILY, TOWERS, joint_folders
from jtcse.pipelines.ablation.pipeline import configured_grid, study_pipeline
from jtcse.pipelines.evaluation.nodes import FAMILIES
from jtcse.pipelines.mlm_regime.nodes import (
    SEED_FOLDERS,
    measure_regime_attention,
    regime_zero_shot_settings,
)
from jtcse.pipelines.reporting.nodes import plot_cls_attention_mass_node
from jtcse.pipelines.zero_shot.pipeline import PARAMETERS, SHARED_INPUTS, zero_shot_pipeline

STUDY = "mlm_regime"
ZERO_SHOT = "mlm_regime_zero_shot"  # the namespace of the zero-shot run


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
    study = study_pipeline(STUDY) + attention
    return study + zero_shot(seed) if grid.get("zero_shot") else study


def zero_shot(seed: str) -> Pipeline:
    """The default chain's zero-shot suite on the models of ``seed`` (``mlm_regime.seed_1``):
    each family's folders that the study trains, mapped to the seed's (:data:`SEED_FOLDERS`);
    a family with none of them left out (the exports, the UC student)."""
    kept = {
        name: tuple(f for f in folders if f in SEED_FOLDERS) for name, folders in FAMILIES.items()
    }
    families = {name: folders for name, folders in kept.items() if folders or name == BASE_FAMILY}
    settings = node(
        regime_zero_shot_settings,
        {
            "zero_shot_params": PARAMETERS,
            "tower_params": "params:tower_training",
            "mlm_base": "mlm_base",
        },
        "zero_shot_settings",
        name="settings",
    )
    folders = {folder for family in families.values() for folder in family}
    return pipeline(
        [settings, zero_shot_pipeline(f"{PARAMETERS}.tasks", "zero_shot_settings", families)],
        namespace=ZERO_SHOT,
        inputs={folder: f"{seed}.{SEED_FOLDERS[folder]}" for folder in folders}
        | {name: name for name in (*SHARED_INPUTS, "mlm_base")},
        parameters={PARAMETERS, f"{PARAMETERS}.tasks", "params:tower_training"},
    )
