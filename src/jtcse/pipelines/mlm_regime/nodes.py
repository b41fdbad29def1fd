"""Nodes of the ``mlm_regime`` pipeline besides the seeded study's own
(:mod:`jtcse.pipelines.ablation.nodes`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jtcse.chain.folders import FOLDER_NAMES, TOWERS, joint_folders
from jtcse.parameters import ABLATION_STUDENT_ROW
from jtcse.pipelines.reporting.nodes import measure_attention_pairs

# The chain's model folders that every seed of the study also trains -> the seed's name for it
SEED_FOLDERS = {
    **{folder: folder for folder in (*TOWERS, *joint_folders("tncse"), *joint_folders("jtcse"))},
    "student": ABLATION_STUDENT_ROW,
}


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


def regime_zero_shot_settings(
    zero_shot_params: dict[str, Any],
    tower_params: dict[str, Any],
    mlm_base: str,
) -> dict[str, Any]:
    """``zero_shot`` for the study's main rows: each encoder of ``zero_shot.encoders`` with
    the supervised base (``tower_training.base_model``) replaced by ``mlm_base``; the chain's
    folders it names are read from the study's first seed (:data:`SEED_FOLDERS`, mapped by
    the pipeline).

    Raises ValueError naming an encoder that reads a chain folder the study does not train.
    """
    encoders = {}
    for name, spec in zero_shot_params["encoders"].items():
        missing = [m for m in spec["models"] if m in FOLDER_NAMES and m not in SEED_FOLDERS]
        if missing:
            raise ValueError(
                f"zero_shot.encoders.{name}: the mlm_regime study trains no `{missing[0]}` "
                f"(it has {', '.join(SEED_FOLDERS)})"
            )
        models = [str(mlm_base) if m == tower_params["base_model"] else m for m in spec["models"]]
        encoders[name] = {**spec, "models": models}
    return {**zero_shot_params, "encoders": encoders}
