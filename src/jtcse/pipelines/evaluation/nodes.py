"""Nodes of the ``evaluation`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.chain.folders import FOLDER_NAMES, families
from jtcse.evaluation.sts import StsResult, format_table
from jtcse.modeling.uc_ensemble import weighted_spec_formula
from jtcse.tracking import log_metrics, set_tags

# The chain's model folders by family (jtcse.chain.folders); an encoder spec is scored by the
# node of the family whose folders it names (base: it names none of them).
FAMILIES = families()


def evaluate_family(
    sts_pairs: pd.DataFrame,
    evaluation_params: dict[str, Any],
    cache_folder: Path,
    **model_folders: str,
) -> dict[str, StsResult]:
    """Score the encoders of ``evaluation.encoders`` that this node's folders serve.

    Args:
        sts_pairs: the tidy STS table from ``data_preparation``.
        evaluation_params: ``encoders`` (name -> models, pooling, coupled, bf16), ``bf16``,
            ``batch_size``.
        cache_folder: the embedding cache (:class:`jtcse.encoding.cache.EmbeddingCache`).
        model_folders: this family's model folders by catalog name (``tower_1``, ...).

    Returns:
        The result of each spec that names one of ``model_folders`` and no other catalog
        folder (with no folders: each spec that names no catalog folder); every score is
        logged to MLflow as ``<encoder>.<task>``, and the precision that ran (``bf16``
        resolved on this machine) as the tag ``<encoder>.bf16``.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.encoding.cache import EmbeddingCache
    from jtcse.evaluation.specs import parse_specs
    from jtcse.evaluation.suite import evaluate_encoders, results_as_records

    encoders = {
        name: spec
        for name, spec in evaluation_params["encoders"].items()
        if served_by(spec["models"], set(model_folders))
    }
    bf16 = evaluation_params.get("bf16", False)
    results = evaluate_encoders(
        sts_pairs,
        encoders,
        bf16=bf16,
        batch_size=evaluation_params.get("batch_size", 128),
        model_folders=model_folders,
        cache=EmbeddingCache(cache_folder),
    )
    set_tags({f"{name}.bf16": str(spec.bf16) for name, spec in parse_specs(encoders, bf16).items()})
    for name, scores in results_as_records(results).items():
        log_metrics({key: value for key, value in scores.items() if value is not None}, f"{name}.")
    return results


def write_sts_table(
    evaluation_params: dict[str, Any], **family_results: dict[str, StsResult]
) -> tuple[dict[str, dict[str, float | None]], str]:
    """Every encoder's scores in the order of ``evaluation.encoders``: JSON and Markdown (the
    table, then the formula of each weighted row, such as the UC ensemble's).

    Raises ValueError naming an encoder that no family scored (its models mix the catalog
    folders of two families).
    """
    from jtcse.evaluation.suite import results_as_records

    scored = {}
    for results in family_results.values():
        scored |= results
    missing = [name for name in evaluation_params["encoders"] if name not in scored]
    if missing:
        raise ValueError(
            f"evaluation.encoders.{missing[0]}: its models mix the trained folders of two "
            "stages (towers, joint, student); an encoder may name the folders of one only"
        )
    ordered = {name: scored[name] for name in evaluation_params["encoders"]}
    notes = [
        f"- `{name}` = {formula}"
        for name, spec in evaluation_params["encoders"].items()
        if (formula := weighted_spec_formula(spec)) is not None
    ]
    text = format_table(ordered) + "\n" + "".join(f"\n{note}" for note in notes)
    return results_as_records(ordered), text + ("\n" if notes else "")


def served_by(models: list[str], folders: set[str]) -> bool:
    """Whether a spec's ``models`` name catalog folders of this node only (or, for the node
    without folders, none at all)."""
    named = {model for model in models if model in FOLDER_NAMES}
    return named <= folders and (bool(named) or not folders)
