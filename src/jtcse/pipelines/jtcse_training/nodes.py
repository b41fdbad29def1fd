"""Nodes of the ``jtcse_training`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.parameters import distributed_settings, joint_run_settings
from jtcse.training.config import training_curve


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
        stage_params: shared ``training`` and ``settings``, per run ``runs.<name>.training``
            / ``.settings`` overrides, and ``distributed``
            (:class:`jtcse.training.settings.DistributedSettings`: processes sharing each batch).
        run_name: ``tncse`` (no cross-attention) or ``jtcse``.

    Returns:
        The best tower folders on the STS-B dev score of the decoupled ensemble, and the
        run's training curve (:func:`jtcse.training.config.training_curve`).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.training.joint import train_joint
    from jtcse.training.launcher import launch

    config, settings = joint_run_settings(stage_params, run_name)
    processes = distributed_settings(stage_params, "jtcse_training")
    best_1, best_2, result = launch(
        processes,
        train_joint,
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
