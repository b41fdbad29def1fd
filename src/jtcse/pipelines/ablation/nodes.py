"""Nodes of the seeded studies (the ``ablation`` and ``mlm_regime`` pipelines): the training
stages' own nodes, run per seed and variant with derived parameters, each inside an MLflow child
run tagged ``seed`` and ``variant``.

A study's parameters (``ablation`` or ``mlm_regime``) hold its grid (``seeds``, ``variants``),
its ``references`` and ``bootstrap``, and ``overrides``: per training stage
(``tower_training``, ``jtcse_training``, ``distillation``), values merged over that stage's
parameters for every run of the study. A study with a base-model folder
(:data:`jtcse.parameters.SEEDED_STUDIES`) trains its towers and initialises its student from
that folder instead of ``tower_training.base_model`` / ``distillation.student_init``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from jtcse.parameters import ABLATION_STUDENT_ROW, ABLATION_TOWER_ROWS, BASE_ROWS, study_stage
from jtcse.pipelines.distillation.nodes import compute_teacher_embeddings, train_student_node
from jtcse.pipelines.jtcse_training.nodes import train_joint_node
from jtcse.pipelines.tower_training.nodes import train_tower_node
from jtcse.tracking import child_run

SEED_STRIDE = 1000  # seed s adds 1000 (s - 1) to every training seed: seed 1 is the default chain


def parse_run(run: str, study_params: Mapping[str, Any]) -> tuple[str, int, str]:
    """``mlm_regime/seed_3/tower_1`` -> (``mlm_regime``, 3, ``tower_1``), the seed checked
    against ``<study>.seeds`` (the grid the pipeline was built from must be the grid of the
    run's parameters)."""
    study, seed_name, name = run.split("/")
    seed = int(seed_name.removeprefix("seed_"))
    if seed not in study_params["seeds"]:
        raise ValueError(
            f"{study}.seeds: {study_params['seeds']} has no seed {seed}; the pipeline's grid "
            "is read from the parameters of KEDRO_ENV (set KEDRO_ENV to the --env you run)"
        )
    return study, seed, name


def seeded_parameters(stage_params: dict[str, Any], seed: int) -> dict[str, Any]:
    """A copy of a training stage's parameters with every ``training.seed`` (shared and per
    run) raised by ``SEED_STRIDE * (seed - 1)``."""
    seeded = copy.deepcopy(stage_params)
    offset = SEED_STRIDE * (seed - 1)
    sections = [seeded]
    for entries in ("towers", "runs"):
        sections += list(seeded.get(entries, {}).values())
    for section in sections:
        training = section.get("training")
        if training is not None and "seed" in training:
            training["seed"] += offset
    return seeded


def _study_parameters(
    stage_params: dict[str, Any], study_params: Mapping[str, Any], stage: str, seed: int
) -> dict[str, Any]:
    """The stage's parameters for one seed of a study: the study's overrides merged in
    (:func:`jtcse.parameters.study_stage`), then seeded."""
    return seeded_parameters(study_stage(stage_params, study_params, stage), seed)


def train_seed_tower(
    training_corpus: str,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    tower_params: dict[str, Any],
    study_params: dict[str, Any],
    run: str,
    base_model: str | None = None,
) -> tuple[str, pd.DataFrame]:
    """Tower ``<tower>`` of one seed of a study (``run`` = ``<study>/seed_<s>/<tower>``): the
    ``tower_training`` node on the study's seeded parameters, from ``base_model`` (a folder)
    when given."""
    study, seed, tower = parse_run(run, study_params)
    params = _study_parameters(tower_params, study_params, "tower_training", seed)
    if base_model is not None:
        params["base_model"] = str(base_model)
    with child_run(f"{study}.seed_{seed}.{tower}", {"seed": str(seed), "variant": tower}):
        return train_tower_node(training_corpus, sts_pairs, work_dir, params, tower)


def train_seed_variant(
    tower_1: str,
    tower_2: str,
    training_corpus: str,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    joint_params: dict[str, Any],
    study_params: dict[str, Any],
    run: str,
) -> tuple[str, str, pd.DataFrame]:
    """Joint-training variant ``<variant>`` of one seed (``run`` =
    ``<study>/seed_<s>/<variant>``): the ``jtcse_training`` node with
    ``<study>.variants.<variant>`` as its only run (``settings`` / ``training`` overrides of
    ``jtcse_training`` and the study's ``overrides.jtcse_training``)."""
    study, seed, variant = parse_run(run, study_params)
    params = _study_parameters(
        {**joint_params, "runs": {variant: study_params["variants"][variant]}},
        study_params,
        "jtcse_training",
        seed,
    )
    with child_run(f"{study}.seed_{seed}.{variant}", {"seed": str(seed), "variant": variant}):
        return train_joint_node(
            tower_1, tower_2, training_corpus, sts_pairs, work_dir, params, variant
        )


def distil_seed(
    teacher_tower_1: str,
    teacher_tower_2: str,
    training_corpus: str,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    distillation_params: dict[str, Any],
    study_params: dict[str, Any],
    run: str,
    base_model: str | None = None,
) -> tuple[str, pd.DataFrame]:
    """JTCSE-D of one seed: the ``distillation`` nodes (teacher, then student) on the study's
    seeded parameters, from the towers of variant ``jtcse``; the student starts from
    ``base_model`` (a folder) when given."""
    study, seed, _ = parse_run(run, study_params)
    params = _study_parameters(distillation_params, study_params, "distillation", seed)
    if base_model is not None:
        params["student_init"] = str(base_model)
    tags = {"seed": str(seed), "variant": ABLATION_STUDENT_ROW}
    with child_run(f"{study}.seed_{seed}.{ABLATION_STUDENT_ROW}", tags):
        teacher = compute_teacher_embeddings(
            teacher_tower_1, teacher_tower_2, training_corpus, params
        )
        return train_student_node(training_corpus, teacher, sts_pairs, work_dir, params)


def score_seed(
    sts_pairs: pd.DataFrame,
    evaluation_params: dict[str, Any],
    cache_folder: Path,
    study_params: dict[str, Any],
    tower_params: dict[str, Any],
    run: str,
    base_model: str | None = None,
    **model_folders: str,
) -> pd.DataFrame:
    """The per-pair cosines of every row of one seed on the seven STS test sets and STS-B dev.

    Args:
        tower_params: ``tower_training``; its ``base_model`` (after the study's overrides) is
            the base of the rows :data:`jtcse.parameters.BASE_ROWS` unless ``base_model``
            (a folder) is given.
        model_folders: ``tower_1``, ``tower_2``, ``<variant>_tower_1`` / ``_tower_2`` for each
            joint variant and ``jtcse_d`` (the student); summed members share the cache.

    Returns:
        Rows ``seed, variant, key, pair, system, score``
        (:data:`jtcse.reporting.ablation.PAIR_COLUMNS`), ``pair`` the pair's position in its
        task (``key`` :data:`~jtcse.evaluation.sts.DEV_KEY` for STS-B dev).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.encoding.cache import EmbeddingCache
    from jtcse.evaluation.sts import evaluation_pairs, scored_pairs
    from jtcse.evaluation.suite import encoder_embeddings, row_lookup

    _, seed, _ = parse_run(run, study_params)
    base = base_model or study_stage(tower_params, study_params, "tower_training")["base_model"]
    encoders = _variant_encoders(study_params)
    pairs = evaluation_pairs(sts_pairs, include_dev=True)
    sentences = list(pd.unique(pd.concat([pairs["sentence1"], pairs["sentence2"]])))
    embeddings = encoder_embeddings(
        sentences,
        encoders,
        bf16=evaluation_params.get("bf16", False),
        batch_size=evaluation_params.get("batch_size", 128),
        model_folders={**model_folders, "base": str(base)},
        cache=EmbeddingCache(cache_folder),
    )
    frames = []
    for variant, rows in embeddings.items():
        scored = scored_pairs(pairs, row_lookup(sentences, rows))
        frames.append(
            pd.DataFrame(
                {
                    "seed": seed,
                    "variant": variant,
                    "key": scored["key"].to_numpy(),
                    "pair": scored.groupby("key", sort=False).cumcount().to_numpy(),
                    "system": scored["system"].to_numpy(),
                    "score": scored["score"].to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def analyse_study(
    study_params: dict[str, Any], *seed_pair_scores: pd.DataFrame
) -> tuple[dict[str, Any], str, Figure]:
    """A seeded study's results: per row mean +- std over the seeds (each task, the avg and
    STS-B dev),
    paired differences against each of ``ablation.references`` with their t and bootstrap
    intervals (:mod:`jtcse.reporting.ablation`), as JSON, Markdown and a PNG."""
    from jtcse.reporting.ablation import (
        differences_markdown,
        paired_differences,
        seed_scores,
        summary_markdown,
        variant_summary,
    )
    from jtcse.reporting.plots import plot_ablation

    pair_scores = pd.concat(seed_pair_scores, ignore_index=True)
    scores = seed_scores(pair_scores)
    variants = variant_names(study_params)
    summary = variant_summary(scores, variants)
    bootstrap = study_params.get("bootstrap", {})
    differences = paired_differences(
        scores,
        pair_scores,
        variants,
        study_params["references"],
        resamples=bootstrap.get("resamples", 1000),
        random_seed=bootstrap.get("seed", 0),
    )
    seeds = ", ".join(str(int(seed)) for seed in sorted(scores["seed"].unique()))
    markdown = (
        "## Rows over seeds\n\n"
        f"STS-7 and STS-B dev Spearman x 100, mean ± std over seeds {seeds} "
        "(each seed trains its own towers; the avg is over the seven test sets).\n\n"
        + summary_markdown(summary)
        + "\n### Paired differences of the STS-7 avg (within each seed)\n\n"
        + differences_markdown(differences)
    )
    results = {
        "seeds": sorted(int(seed) for seed in scores["seed"].unique()),
        "scores": _records(scores),
        "summary": _records(summary),
        "differences": _records(differences),
    }
    return results, markdown, plot_ablation(scores, variants)


def variant_names(study_params: Mapping[str, Any]) -> list[str]:
    """Every row of a seeded study in table order: the base model's rows, the towers, their
    plain sum, each joint variant, JTCSE-D."""
    return [*BASE_ROWS, *ABLATION_TOWER_ROWS, *study_params["variants"], ABLATION_STUDENT_ROW]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: numbers as Python numbers, NaN as null."""
    return json.loads(frame.to_json(orient="records", double_precision=6))


def _variant_encoders(study_params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Encoder specs (catalog names of :func:`score_seed`'s folders, ``base`` the base model)
    of every row."""
    encoders = {
        **{row: {"models": ["base"], "pooling": pooling} for row, pooling in BASE_ROWS.items()},
        "tower_1": {"models": ["tower_1"]},
        "tower_2": {"models": ["tower_2"]},
        "towers_ensemble": {"models": ["tower_1", "tower_2"]},
    }
    for variant in study_params["variants"]:
        encoders[variant] = {"models": [f"{variant}_tower_1", f"{variant}_tower_2"]}
    encoders[ABLATION_STUDENT_ROW] = {"models": [ABLATION_STUDENT_ROW]}
    return encoders
