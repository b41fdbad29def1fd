"""Nodes of the ``distillation`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jtcse.config import build_settings
from jtcse.curves import training_curve
from jtcse.distillation import DistillationSettings, teacher_embeddings, train_student
from jtcse.training import TrainingConfig


def compute_teacher_embeddings(
    jtcse_tower_1: str, jtcse_tower_2: str, training_corpus: str, stage_params: dict[str, Any]
) -> np.ndarray:
    """Encode the training sentences once with the frozen JTCSE ensemble.

    Args:
        jtcse_tower_1, jtcse_tower_2: the jointly trained tower folders (the teacher).
        training_corpus: one sentence per line; the first ``settings.max_sentences`` are used.
        stage_params: ``settings`` (:class:`DistillationSettings`) and ``teacher_bf16``.

    Returns:
        Float32 ``[sentences, hidden]``: t(x) = h1_CLS(x) + h2_CLS(x) per sentence.
    """
    settings = build_settings(
        DistillationSettings, stage_params.get("settings"), "distillation.settings"
    )
    bf16 = stage_params.get("teacher_bf16", False)
    if not isinstance(bf16, bool):
        raise ValueError(f"distillation.teacher_bf16 must be true or false; got {bf16!r}")
    sentences = training_corpus.splitlines()[: settings.max_sentences]
    return teacher_embeddings([jtcse_tower_1, jtcse_tower_2], sentences, bf16=bf16)


def train_student_node(
    training_corpus: str,
    teacher: np.ndarray,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    stage_params: dict[str, Any],
) -> tuple[str, pd.DataFrame]:
    """Train the student tower to reproduce the teacher embeddings.

    Args:
        training_corpus: one sentence per line (row i of ``teacher`` is line i).
        teacher: the cached ``teacher_embeddings`` from :func:`compute_teacher_embeddings`.
        sts_pairs: the STS table (only STS-B dev is used, for model selection).
        work_dir: the student's resumable checkpoints and best snapshot.
        stage_params: ``student_init`` (folder, Hub id or alias), ``training`` and ``settings``.

    Returns:
        The folder of the best student on STS-B dev (copied to the catalog by its dataset) and
        its training curve (:func:`jtcse.curves.training_curve`).
    """
    config = build_settings(TrainingConfig, stage_params["training"], "distillation.training")
    settings = build_settings(
        DistillationSettings, stage_params.get("settings"), "distillation.settings"
    )
    best, result = train_student(
        stage_params["student_init"],
        training_corpus.splitlines(),
        teacher,
        sts_pairs,
        settings,
        config,
        work_dir,
        name="student",
    )
    return str(best), training_curve(result)
