"""Wiring of the seeded studies: a grid of namespaced modular pipelines, one per seed
(``<study>.seed_<s>``), each with its towers, one joint run per variant
(``<study>.seed_<s>.<variant>``), JTCSE-D and one scoring node; then one analysis node. The
``ablation`` pipeline is the study from the chain's base model; ``mlm_regime``
(:mod:`jtcse.pipelines.mlm_regime`) the same grid from the masked-language-model base.

The grid (``<study>.seeds`` and the names of ``<study>.variants``) is read from the parameters
of the Kedro environment ``KEDRO_ENV`` (default: ``local`` over ``base``), since Kedro builds
pipelines before it loads the run's configuration: run another environment's grid with
``KEDRO_ENV=<env> kedro run --env <env> --pipelines <study>``; a node whose seed or variant is
not in the run's parameters stops with that advice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import TOWERS, joint_folders
from jtcse.parameters import ABLATION_STUDENT_ROW, SEEDED_STUDIES
from jtcse.pipelines.ablation.nodes import (
    analyse_study,
    distil_seed,
    score_seed,
    train_seed_tower,
    train_seed_variant,
)

SHARED_INPUTS = {"training_corpus", "sts_pairs", "embedding_cache"}
STAGE_PARAMETERS = {
    "params:tower_training",
    "params:jtcse_training",
    "params:distillation",
    "params:evaluation",
}


def create_pipeline(**kwargs) -> Pipeline:
    """The ``ablation`` study for its configured grid."""
    return study_pipeline("ablation")


def study_pipeline(
    study: str, seeds: Sequence[int] | None = None, variants: Sequence[str] | None = None
) -> Pipeline:
    """The seeded study ``study`` (a key of :data:`jtcse.parameters.SEEDED_STUDIES`) for
    ``seeds`` x ``variants`` (default: the configured grid)."""
    if seeds is None or variants is None:
        configured = configured_grid(study)
        seeds = configured["seeds"] if seeds is None else seeds
        variants = list(configured["variants"]) if variants is None else variants
    if "jtcse" not in variants:
        raise ValueError(f"{study}.variants must hold 'jtcse' (JTCSE-D distils it); got {variants}")
    seed_pipelines = [seed_pipeline(study, seed, variants) for seed in seeds]
    analysis = node(
        analyse_study,
        [f"params:{study}", *(f"{study}.seed_{seed}.pair_scores" for seed in seeds)],
        [f"{study}_results", f"{study}_table", f"{study}_figure"],
        name=f"{study}.analyse",
    )
    return sum(seed_pipelines, Pipeline([])) + pipeline([analysis])


def seed_pipeline(study: str, seed: int, variants: Sequence[str]) -> Pipeline:
    """Seed ``seed``'s towers, joint variants, JTCSE-D (from the ``jtcse`` variant's towers)
    and per-pair scores, in the namespace ``<study>.seed_<seed>``; the towers and the student
    start from the study's base folder where it has one."""
    namespace = f"{study}.seed_{seed}"
    base = SEEDED_STUDIES[study]
    from_base = {"base_model": base} if base else {}
    towers = [
        node(
            train_seed_tower,
            {
                "training_corpus": "training_corpus",
                "sts_pairs": "sts_pairs",
                "work_dir": f"{tower}_work",
                "tower_params": "params:tower_training",
                "study_params": f"params:{study}",
                "run": f"{tower}.study_run",
            }
            | from_base,
            [tower, f"{tower}_training_curve"],
            name=f"{tower}.train",
        )
        for tower in TOWERS
    ]
    joint = [
        node(
            train_seed_variant,
            [
                *TOWERS,
                "training_corpus",
                "sts_pairs",
                f"{variant}_work",
                "params:jtcse_training",
                f"params:{study}",
                f"{variant}.study_run",
            ],
            [*joint_folders(variant), f"{variant}_training_curve"],
            name=f"{variant}.train",
        )
        for variant in variants
    ]
    student = node(
        distil_seed,
        {
            "teacher_tower_1": joint_folders("jtcse")[0],
            "teacher_tower_2": joint_folders("jtcse")[1],
            "training_corpus": "training_corpus",
            "sts_pairs": "sts_pairs",
            "work_dir": f"{ABLATION_STUDENT_ROW}_work",
            "distillation_params": "params:distillation",
            "study_params": f"params:{study}",
            "run": f"{ABLATION_STUDENT_ROW}.study_run",
        }
        | from_base,
        [ABLATION_STUDENT_ROW, f"{ABLATION_STUDENT_ROW}_training_curve"],
        name=f"{ABLATION_STUDENT_ROW}.train",
    )
    folders = [*TOWERS, *(f for v in variants for f in joint_folders(v)), ABLATION_STUDENT_ROW]
    scores = node(
        score_seed,
        {
            "sts_pairs": "sts_pairs",
            "evaluation_params": "params:evaluation",
            "cache_folder": "embedding_cache",
            "study_params": f"params:{study}",
            "tower_params": "params:tower_training",
            "run": "score.study_run",
        }
        | from_base
        | {folder: folder for folder in folders},
        "pair_scores",
        name="score",
    )
    return pipeline(
        [*towers, *joint, student, scores],
        namespace=namespace,
        inputs=SHARED_INPUTS | set(from_base.values()),
        parameters=STAGE_PARAMETERS | {f"params:{study}"},
    )


def configured_grid(study: str) -> dict:
    """``<study>`` of the parameters of ``KEDRO_ENV`` (default ``local``) over ``base``."""
    conf = Path.cwd() / "conf"
    loader = OmegaConfigLoader(
        str(conf), base_env="base", default_run_env=os.environ.get("KEDRO_ENV", "local")
    )
    parameters = loader["parameters"]
    if study not in parameters:
        raise ValueError(f"no `{study}` parameters under {conf}: run from the project root")
    return parameters[study]
