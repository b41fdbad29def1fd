"""Wiring of the ``ablation`` pipeline: a grid of namespaced modular pipelines, one per seed
(``ablation.seed_<s>``), each with its towers, one joint run per variant
(``ablation.seed_<s>.<variant>``), JTCSE-D and one scoring node; then one analysis node.

The grid (``ablation.seeds`` and the names of ``ablation.variants``) is read from the
parameters of the Kedro environment ``KEDRO_ENV`` (default: ``local`` over ``base``), since
Kedro builds pipelines before it loads the run's configuration: run another environment's grid
with ``KEDRO_ENV=<env> kedro run --env <env> --pipelines ablation``; a node whose seed or
variant is not in the run's parameters stops with that advice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import TOWERS, joint_folders
from jtcse.parameters import ABLATION_STUDENT_ROW
from jtcse.pipelines.ablation.nodes import (
    analyse_ablation,
    distil_seed,
    score_seed,
    train_seed_tower,
    train_seed_variant,
)

SHARED_INPUTS = {"training_corpus", "sts_pairs", "embedding_cache"}
PARAMETERS = {
    "params:tower_training",
    "params:jtcse_training",
    "params:distillation",
    "params:evaluation",
    "params:ablation",
}


def create_pipeline(
    seeds: Sequence[int] | None = None, variants: Sequence[str] | None = None, **kwargs
) -> Pipeline:
    """The study for ``seeds`` x ``variants`` (default: the configured grid)."""
    if seeds is None or variants is None:
        configured = configured_grid()
        seeds = configured["seeds"] if seeds is None else seeds
        variants = list(configured["variants"]) if variants is None else variants
    if "jtcse" not in variants:
        raise ValueError(
            f"ablation.variants must hold 'jtcse' (JTCSE-D distils it); got {variants}"
        )
    seed_pipelines = [seed_pipeline(seed, variants) for seed in seeds]
    analysis = node(
        analyse_ablation,
        ["params:ablation", *(f"ablation.seed_{seed}.pair_scores" for seed in seeds)],
        ["ablation_results", "ablation_table", "ablation_figure"],
        name="ablation.analyse",
    )
    return sum(seed_pipelines, Pipeline([])) + pipeline([analysis])


def seed_pipeline(seed: int, variants: Sequence[str]) -> Pipeline:
    """Seed ``seed``'s towers, joint variants, JTCSE-D (from the ``jtcse`` variant's towers)
    and per-pair scores, in the namespace ``ablation.seed_<seed>``."""
    namespace = f"ablation.seed_{seed}"
    towers = [
        node(
            train_seed_tower,
            [
                "training_corpus",
                "sts_pairs",
                f"{tower}_work",
                "params:tower_training",
                "params:ablation",
                f"{tower}.ablation_run",
            ],
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
                "params:ablation",
                f"{variant}.ablation_run",
            ],
            [*joint_folders(variant), f"{variant}_training_curve"],
            name=f"{variant}.train",
        )
        for variant in variants
    ]
    student = node(
        distil_seed,
        [
            *joint_folders("jtcse"),
            "training_corpus",
            "sts_pairs",
            f"{ABLATION_STUDENT_ROW}_work",
            "params:distillation",
            "params:ablation",
            f"{ABLATION_STUDENT_ROW}.ablation_run",
        ],
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
            "ablation_params": "params:ablation",
            "run": "score.ablation_run",
        }
        | {folder: folder for folder in folders},
        "pair_scores",
        name="score",
    )
    return pipeline(
        [*towers, *joint, student, scores],
        namespace=namespace,
        inputs=SHARED_INPUTS,
        parameters=PARAMETERS,
    )


def configured_grid() -> dict:
    """``ablation`` of the parameters of ``KEDRO_ENV`` (default ``local``) over ``base``."""
    conf = Path.cwd() / "conf"
    loader = OmegaConfigLoader(
        str(conf), base_env="base", default_run_env=os.environ.get("KEDRO_ENV", "local")
    )
    parameters = loader["parameters"]
    if "ablation" not in parameters:
        raise ValueError(f"no `ablation` parameters under {conf}: run from the project root")
    return parameters["ablation"]
