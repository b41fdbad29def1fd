"""Nodes of the ``distillation`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jtcse.parameters import (
    distillation_run_settings,
    distributed_settings,
    teacher_bf16,
    uc_teacher,
)
from jtcse.training.config import training_curve


def compute_teacher_embeddings(
    jtcse_tower_1: str, jtcse_tower_2: str, training_corpus: str, stage_params: dict[str, Any]
) -> np.ndarray:
    """Encode the training sentences once with the frozen JTCSE ensemble (or, with
    ``teacher_uc``, the UC ensemble of the pair and an external encoder: UC-D).

    Args:
        jtcse_tower_1, jtcse_tower_2: the jointly trained tower folders (the teacher).
        training_corpus: one sentence per line; the first ``settings.max_sentences`` are used.
        stage_params: ``settings`` (:class:`DistillationSettings`), ``teacher_bf16`` and
            ``teacher_uc`` (:class:`jtcse.modeling.uc_ensemble.UcEnsemble` fields, or null).

    Returns:
        Float32 ``[sentences, hidden]``: t(x) = h1_CLS(x) + h2_CLS(x) per sentence, or
        e_UC(x) = (1 - w) t(x) + w h_ext(x), each model truncated at the student's
        ``settings.max_length`` tokens.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.encoding import Encoder
    from jtcse.modeling.precision import resolve_bf16
    from jtcse.training.distillation import teacher_embeddings

    _, settings = distillation_run_settings(stage_params)
    bf16 = resolve_bf16(teacher_bf16(stage_params), "distillation.teacher_bf16")
    sentences = training_corpus.splitlines()[: settings.max_sentences]
    towers = [jtcse_tower_1, jtcse_tower_2]
    teacher = teacher_embeddings(towers, sentences, settings.max_length, bf16=bf16)
    uc = uc_teacher(stage_params)
    if uc is None:
        return teacher
    external = Encoder.load(
        uc.external_model, uc.external_pooling, bf16, max_length=settings.max_length
    ).encode(sentences)
    return uc.mix(teacher, external)


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
        stage_params: ``student_init`` (folder, Hub id or alias), ``training``, ``settings``
            and ``distributed`` (:class:`jtcse.training.settings.DistributedSettings`: processes
            sharing each batch).

    Returns:
        The folder of the best student on STS-B dev (copied to the catalog by its dataset) and
        its training curve (:func:`jtcse.training.config.training_curve`).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.training.distillation import train_student
    from jtcse.training.launcher import launch

    config, settings = distillation_run_settings(stage_params)
    processes = distributed_settings(stage_params, "distillation")
    best, result = launch(
        processes,
        train_student,
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


def log_student_model(student: str) -> None:
    """Log the distilled student to the active MLflow run as the MLflow model ``student``
    (``mlflow.pyfunc.load_model("runs:/<run id>/student").predict(frame)`` encodes the
    DataFrame's ``sentence`` column); nothing happens without an active run.

    Args:
        student: the student's model folder (the catalog's ``student``).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.mlflow_model import log_encoder_model

    log_encoder_model(student, "student")
