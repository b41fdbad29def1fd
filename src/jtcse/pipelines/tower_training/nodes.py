"""Nodes of the ``tower_training`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.config import build_settings
from jtcse.curves import training_curve
from jtcse.tower_training import TowerSettings, train_tower
from jtcse.training import TrainingConfig


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
        stage_params: ``base_model``, shared ``training`` and ``settings``, and per tower
            ``towers.<name>.training`` / ``.settings`` overrides.
        tower_name: which entry of ``towers`` to train.

    Returns:
        The folder of the best tower on STS-B dev (copied to the catalog by its dataset) and
        its training curve (:func:`jtcse.curves.training_curve`).
    """
    where = f"tower_training.towers.{tower_name}"
    tower = stage_params["towers"][tower_name]
    config = build_settings(
        TrainingConfig,
        {**stage_params["training"], **tower.get("training", {})},
        where + ".training",
    )
    settings = build_settings(
        TowerSettings,
        {**stage_params.get("settings", {}), **tower.get("settings", {})},
        where + ".settings",
    )
    best, result = train_tower(
        stage_params["base_model"],
        training_corpus.splitlines(),
        sts_pairs,
        settings,
        config,
        work_dir,
        name=tower_name,
    )
    return str(best), training_curve(result)
