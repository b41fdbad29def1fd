"""Nodes of the ``onnx_export`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.parameters import build_settings
from jtcse.tracking import log_metrics


def export_student_onnx(
    student: str,
    training_corpus: str,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    export_params: dict[str, Any],
) -> tuple[str, str, dict[str, float]]:
    """Export the student to ONNX and int8 ONNX; fail the run when a check fails.

    Args:
        student: the student model folder.
        training_corpus: real sentences for the parity check (its first and longest lines).
        sts_pairs: the STS table (STS-B dev for the int8 quality check).
        work_dir: where the exports are written before the catalog copies them.
        export_params: ``parity_sentences`` (how many of each kind) and ``thresholds``.

    Returns:
        The fp32 and int8 export folders and the measured values (logged to MLflow).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.export.checks import export_and_check, parity_sentences
    from jtcse.export.thresholds import ExportThresholds

    thresholds = build_settings(
        ExportThresholds, export_params.get("thresholds"), "onnx_export.thresholds"
    )
    sentences = parity_sentences(training_corpus.splitlines(), export_params["parity_sentences"])
    report = export_and_check(
        student, work_dir / "onnx", work_dir / "onnx_int8", sentences, sts_pairs, thresholds
    )
    log_metrics(report, "onnx_export.")
    return str(work_dir / "onnx"), str(work_dir / "onnx_int8"), report
