"""Nodes of the ``mlm_pretraining`` pipeline."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from jtcse.chain.folders import STUDY_FOLDERS
from jtcse.parameters import distributed_settings, mlm_settings
from jtcse.training.config import training_curve


def pretrain_node(
    training_corpus: str, work_dir: Path, stage_params: dict[str, Any]
) -> tuple[str, pd.DataFrame]:
    """Pretrain the MLM model on the decontaminated training corpus.

    Args:
        training_corpus: one sentence per line (``data_preparation``'s).
        work_dir: the run's resumable checkpoints and best snapshot.
        stage_params: ``tokenizer`` (whose vocabulary the model uses), ``training``
            (:class:`~jtcse.training.config.TrainingConfig`), ``settings``
            (:class:`~jtcse.training.settings.MlmSettings`), ``distributed``.

    Returns:
        The folder of the model with the lowest held-out masked-token loss (copied to the
        catalog by its dataset) and its training curve.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.publishing.mlm_card import write_mlm_card
    from jtcse.training.launcher import launch
    from jtcse.training.mlm import pretrain

    config, settings = mlm_settings(stage_params)
    sentences = training_corpus.splitlines()
    card = partial(
        write_mlm_card,
        model_path=f"data/06_models/{STUDY_FOLDERS['mlm_pretraining'][0]}",
        settings=settings,
        config=config,
        tokenizer=str(stage_params["tokenizer"]),
        corpus_sentences=len(sentences),
    )
    best, result = launch(
        distributed_settings(stage_params, "mlm_pretraining"),
        pretrain,
        stage_params["tokenizer"],
        sentences,
        settings,
        config,
        work_dir,
        name="mlm",
        write_card=card,
    )
    return str(best), training_curve(result)
