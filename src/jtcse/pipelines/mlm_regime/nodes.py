"""Nodes of the ``mlm_regime`` pipeline besides the seeded study's own
(:mod:`jtcse.pipelines.ablation.nodes`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jtcse.pipelines.reporting.nodes import measure_attention_pairs


def measure_regime_attention(
    sts_pairs: pd.DataFrame,
    mlm_base: str,
    tower_params: dict[str, Any],
    reporting_params: dict[str, Any],
    tower_1: str,
    tower_2: str,
    jtcse_tower_1: str,
    jtcse_tower_2: str,
) -> dict[str, Any]:
    """The paper's attention argument in this regime: the [CLS] attention mass per layer
    (:func:`jtcse.pipelines.reporting.nodes.measure_attention_pairs`, options
    ``reporting.cls_attention_mass``) of, each alone and coupled with JTCSE's
    cross-attention: ``supervised_base`` (``tower_training.base_model`` twice), ``mlm_base``
    (the pretrained model twice), ``simcse_towers`` (the first seed's SimCSE towers) and
    ``jtcse`` (its JTCSE towers); logged to MLflow as ``mlm_regime_attention.<pair>...``."""
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.modeling.names import resolve_model_path

    supervised = resolve_model_path(tower_params["base_model"])
    pairs = {
        "supervised_base": (supervised, supervised),
        "mlm_base": (str(mlm_base), str(mlm_base)),
        "simcse_towers": (str(tower_1), str(tower_2)),
        "jtcse": (str(jtcse_tower_1), str(jtcse_tower_2)),
    }
    options = reporting_params["cls_attention_mass"]
    return measure_attention_pairs(
        sts_pairs, pairs, str(jtcse_tower_1), options, "mlm_regime_attention."
    )
