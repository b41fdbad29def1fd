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
    round_trip: str = "",
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
        round_trip: the tower's ``sentence<TAB>round_trip`` file (``round_trip_translation``),
            its second view with ``settings.augmentation: round_trip``.

    Returns:
        The folder of the best tower on STS-B dev (copied to the catalog by its dataset) and
        its training curve (:func:`jtcse.training.config.training_curve`).
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.training.launcher import launch
    from jtcse.training.towers import train_tower
    from jtcse.translation.views import read_round_trip_views

    config, settings = tower_run_settings(stage_params, tower_name)
    views = None
    if settings.augmentation == "round_trip":
        views = read_round_trip_views(round_trip, f"{tower_name}_round_trip")
        if not views:
            raise ValueError(
                f"tower_training.towers.{tower_name}.settings.augmentation: round_trip needs "
                "the round-trip file of round_trip_translation (enabled: true); it is empty "
                "or missing"
            )
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
        round_trip_views=views,
    )
    return str(best), training_curve(result)
