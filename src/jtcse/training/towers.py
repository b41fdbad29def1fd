"""Stage 1: train one tower from the base model with unsupervised SimCSE (docs/method.md#towers).

Every sentence is encoded twice (rows 2m, 2m+1); dropout, or an optional augmentation of the
second view, makes the two views differ; the loss is InfoNCE over the last-layer [CLS]
vectors with in-batch negatives (:func:`jtcse.losses.info_nce`). The best tower on STS-B dev
is kept as a standard Hugging Face model folder.

Towers differ by seed, learning rate, dropout, corpus shard and augmentation
(:class:`jtcse.training.settings.TowerSettings`), so that their sum is more than either alone
(an ensemble gains only from diverse members).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import torch

from jtcse.augmentation import augmented_pair_collator, make_augmentation
from jtcse.encoding import Encoder
from jtcse.losses import info_nce
from jtcse.modeling.chunking import cls_in_length_chunks
from jtcse.modeling.folders import write_model_folder
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.training import distributed
from jtcse.training.batching import sentence_collator
from jtcse.training.config import TrainingConfig, TrainingResult
from jtcse.training.loop import LossFunction
from jtcse.training.run import model_overrides, run_training
from jtcse.training.settings import TowerSettings


def tower_loss(settings: TowerSettings) -> LossFunction:
    """The ``loss_fn`` of tower training: ``{"loss", "nce"}`` = InfoNCE over the last-layer
    [CLS] rows of the whole global batch (every process's rows gathered, so the negatives are
    the same as in one process; see :mod:`jtcse.training.distributed`)."""

    def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cls = cls_in_length_chunks(model, batch, settings.length_chunks)
        loss = info_nce(distributed.gather_with_local_gradient(cls), settings.temperature)
        return {"loss": loss, "nce": loss}

    return loss_fn


def train_tower(
    base_model: str,
    sentences: Sequence[str],
    sts_pairs: pd.DataFrame,
    settings: TowerSettings,
    config: TrainingConfig,
    work_dir: Path,
    name: str = "tower",
    resume: bool = True,
    round_trip_views: Mapping[str, str] | None = None,
) -> tuple[Path, TrainingResult]:
    """Train one tower with unsupervised SimCSE; return its best folder and the run summary.

    Args:
        base_model: folder, Hub id or alias of the pretrained encoder.
        sentences: the training corpus (the tower uses :meth:`TowerSettings.select`).
        sts_pairs: the STS table; only its STS-B dev pairs are used (model selection).
        settings: tower-specific knobs; config: optimisation settings.
        work_dir: holds ``checkpoints/`` (resumable state) and ``best/`` (best model folder).
        name: label for progress bars and MLflow metric names.
        round_trip_views: sentence -> its round trip, the second view of a sentence with
            ``settings.augmentation == "round_trip"`` (a sentence without one: dropout only).

    Runs on the process group of ``torchrun`` when there is one (rank 0 writes the folder).
    """
    distributed.init_from_environment()  # before loading: selects this process's GPU
    model, tokenizer = load_model_and_tokenizer(
        base_model, **model_overrides(settings.dropout, config.bf16)
    )
    augment = make_augmentation(
        settings.augmentation, settings.augmentation_probability, round_trip_views
    )
    collate = (
        sentence_collator(tokenizer, settings.max_length, views=2)
        if augment is None
        else augmented_pair_collator(tokenizer, settings.max_length, augment)
    )
    (best,), result = run_training(
        model,
        settings.select(sentences),
        collate,
        tower_loss(settings),
        config,
        work_dir,
        sts_pairs,
        make_encoder=lambda: Encoder.from_models([(model, tokenizer)]),
        write_best=lambda folder: write_model_folder(folder, model, tokenizer),
        name=name,
        resume=resume,
        fingerprint={
            "base_model": str(base_model),
            "settings": settings.__dict__,
            **({} if round_trip_views is None else {"round_trip": _digest(round_trip_views)}),
        },
    )
    return best, result


def _digest(views: Mapping[str, str]) -> str:
    """sha256 of the round-trip views (what a resumed run must have trained on)."""
    return hashlib.sha256(json.dumps(sorted(views.items())).encode()).hexdigest()
