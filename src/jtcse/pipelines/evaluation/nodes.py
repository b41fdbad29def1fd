"""Nodes of the ``evaluation`` pipeline."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jtcse.evaluation.sts import format_table
from jtcse.tracking import log_metrics


def evaluate_sts_encoders(
    sts_pairs: pd.DataFrame, evaluation_params: dict[str, Any], **model_folders: str
) -> tuple[dict[str, dict[str, float | None]], str]:
    """Score every encoder listed in ``evaluation.encoders`` on the STS tasks.

    Args:
        sts_pairs: the tidy STS table from ``data_preparation``.
        evaluation_params: ``encoders`` (name -> models, pooling, coupled), ``bf16``,
            ``batch_size``.
        model_folders: the trained model folders by catalog name (``tower_1``, ...), which
            encoder specs may name.

    Returns:
        The scores per encoder (JSON) and the same as a Markdown table; every score is
        logged to MLflow as ``<encoder>.<task>``.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.evaluation.suite import evaluate_encoders, results_as_records

    results = evaluate_encoders(
        sts_pairs,
        evaluation_params["encoders"],
        bf16=evaluation_params.get("bf16", False),
        batch_size=evaluation_params.get("batch_size", 128),
        model_folders=model_folders,
    )
    records = results_as_records(results)
    for name, scores in records.items():
        log_metrics({key: value for key, value in scores.items() if value is not None}, f"{name}.")
    return records, format_table(results) + "\n"
