"""Nodes of the ``jtcse_training`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.config import build_settings
from jtcse.curves import training_curve
from jtcse.joint_training import JointSettings, train_joint
from jtcse.training import TrainingConfig


def train_joint_node(
    tower_1: str,
    tower_2: str,
    training_corpus: str,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    stage_params: dict[str, Any],
    run_name: str,
) -> tuple[str, str, pd.DataFrame]:
    """Jointly train the two towers as the run ``jtcse_training.runs.<run_name>`` says.

    Args:
        tower_1, tower_2: the stage-1 tower folders.
        training_corpus: one sentence per line.
        sts_pairs: the STS table (only STS-B dev is used, for model selection).
        work_dir: the run's resumable checkpoints and best snapshot.
        stage_params: shared ``training`` and ``settings``, and per run ``runs.<name>.training``
            / ``.settings`` overrides.
        run_name: ``tncse`` (no cross-attention) or ``jtcse``.

    Returns:
        The best tower folders on the STS-B dev score of the decoupled ensemble, and the
        run's training curve (:func:`jtcse.curves.training_curve`).
    """
    where = f"jtcse_training.runs.{run_name}"
    run = stage_params["runs"][run_name]
    config = build_settings(
        TrainingConfig, {**stage_params["training"], **run.get("training", {})}, where + ".training"
    )
    settings = build_settings(
        JointSettings,
        {**stage_params.get("settings", {}), **run.get("settings", {})},
        where + ".settings",
    )
    best_1, best_2, result = train_joint(
        tower_1,
        tower_2,
        training_corpus.splitlines(),
        sts_pairs,
        settings,
        config,
        work_dir,
        name=run_name,
    )
    return str(best_1), str(best_2), training_curve(result)
