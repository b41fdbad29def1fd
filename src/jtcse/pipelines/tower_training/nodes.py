"""Nodes of the ``tower_training`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.parameters import distributed_settings, tower_run_settings
from jtcse.training.config import training_curve


def train_tower_node(
    training_corpus: str,
    sts_pairs: pd.DataFrame,
    work_dir: Path,
    stage_params: dict[str, Any],
    tower_name: str,
) -> tuple[str, pd.DataFrame]:
    """Train the tower ``tower_name`` of ``tower_training.towers``.

    Args:
        training_corpus: one sentence per line.
        sts_pairs: the STS table (only STS-B dev is used, for model selection).
        work_dir: the tower's resumable checkpoints and best snapshot.
        stage_params: ``base_model``, shared ``training`` and ``settings``, per tower
            ``towers.<name>.training`` / ``.settings`` overrides, and ``distributed``
            (:class:`jtcse.training.settings.DistributedSettings`: processes sharing each batch).
        tower_name: which entry of ``towers`` to train.

    Returns:
        The folder of the best tower on STS-B dev (copied to the catalog by its dataset) and
        its training curve (:func:`jtcse.training.config.training_curve`).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.training.launcher import launch
    from jtcse.training.towers import train_tower

    config, settings = tower_run_settings(stage_params, tower_name)
    processes = distributed_settings(stage_params, "tower_training")
    best, result = launch(
        processes,
        train_tower,
        stage_params["base_model"],
        training_corpus.splitlines(),
        sts_pairs,
        settings,
        config,
        work_dir,
        name=tower_name,
    )
    return str(best), training_curve(result)
