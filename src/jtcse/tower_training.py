"""Stage 1: train one tower from the base model with unsupervised SimCSE (METHOD.md 1.1).

Every sentence is encoded twice (rows 2m, 2m+1); dropout, or an optional augmentation of the
second view, makes the two views differ; the loss is InfoNCE over the last-layer [CLS]
vectors with in-batch negatives (:func:`jtcse.losses.info_nce`). The best tower on STS-B dev
is kept as a standard Hugging Face model folder.

Towers differ by seed, learning rate, dropout, corpus shard and augmentation, so that their
sum is more than either alone (an ensemble gains only from diverse members).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from jtcse import distributed
from jtcse.augmentation import augmented_pair_collator, make_augmentation
from jtcse.encoder import Encoder
from jtcse.losses import info_nce
from jtcse.modeling.chunking import cls_in_length_chunks
from jtcse.modeling.folders import check_model_folder, save_model_folder
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.selection import dev_scorer
from jtcse.training import (
    LossFunction,
    TrainingConfig,
    TrainingResult,
    mlflow_metrics_logger,
    sentence_collator,
    train,
)


@dataclass(frozen=True)
class TowerSettings:
    """What makes one tower differ from the other.

    Attributes:
        dropout: hidden and attention-probability dropout of the tower (BERT default 0.1).
        corpus_shard: train on sentences ``corpus[shard::num_shards]`` (None: the whole corpus).
        num_shards: number of disjoint corpus shards.
        max_sentences: then keep the first this many sentences of the shard (None: all).
        augmentation: ``word_deletion``, ``word_repetition`` or None (dropout views only).
        augmentation_probability: per-word probability of the augmentation.
        max_length: truncation length in tokens.
        temperature: InfoNCE temperature tau.
        length_chunks: run each batch in this many length-sorted chunks (same result, less
            padding; see :mod:`jtcse.modeling.chunking`).
    """

    dropout: float = 0.1
    corpus_shard: int | None = None
    num_shards: int = 2
    max_sentences: int | None = None
    augmentation: str | None = None
    augmentation_probability: float = 0.1
    max_length: int = 64
    temperature: float = 0.05
    length_chunks: int = 4

    def __post_init__(self) -> None:
        if self.length_chunks < 1:
            raise ValueError(f"length_chunks must be >= 1; got {self.length_chunks}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout}")
        if self.max_sentences is not None and self.max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1 or null; got {self.max_sentences}")
        if self.corpus_shard is not None and not 0 <= self.corpus_shard < self.num_shards:
            raise ValueError(
                f"corpus_shard must be in [0, num_shards={self.num_shards}); "
                f"got {self.corpus_shard}"
            )
        make_augmentation(self.augmentation, self.augmentation_probability)

    def select(self, sentences: Sequence[str]) -> list[str]:
        """The tower's part of the corpus: its shard, capped at ``max_sentences``."""
        shard = (
            sentences
            if self.corpus_shard is None
            else sentences[self.corpus_shard :: self.num_shards]
        )
        return list(shard[: self.max_sentences])


def tower_loss(settings: TowerSettings) -> LossFunction:
    """The ``loss_fn`` of tower training: ``{"loss", "nce"}`` = InfoNCE over the last-layer
    [CLS] rows of the whole global batch (every process's rows gathered, so the negatives are
    the same as in one process; see :mod:`jtcse.distributed`)."""

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
) -> tuple[Path, TrainingResult]:
    """Train one tower with unsupervised SimCSE; return its best folder and the run summary.

    Args:
        base_model: folder, Hub id or alias of the pretrained encoder.
        sentences: the training corpus (the tower uses :meth:`TowerSettings.select`).
        sts_pairs: the STS table; only its STS-B dev pairs are used (model selection).
        settings: tower-specific knobs; config: optimisation settings.
        work_dir: holds ``checkpoints/`` (resumable state) and ``best/`` (best model folder).
        name: label for progress bars and MLflow metric names.

    Runs on the process group of ``torchrun`` when there is one (rank 0 writes the folder).
    """
    work_dir = Path(work_dir)
    distributed.init_from_environment()  # before loading: selects this process's GPU
    dropout = {
        "hidden_dropout_prob": settings.dropout,
        "attention_probs_dropout_prob": settings.dropout,
    }
    model, tokenizer = load_model_and_tokenizer(base_model, **dropout)
    augment = make_augmentation(settings.augmentation, settings.augmentation_probability)
    collate = (
        sentence_collator(tokenizer, settings.max_length, views=2)
        if augment is None
        else augmented_pair_collator(tokenizer, settings.max_length, augment)
    )

    best = work_dir / "best"
    result = train(
        model,
        settings.select(sentences),
        collate,
        tower_loss(settings),
        config,
        work_dir / "checkpoints",
        evaluate_fn=dev_scorer(sts_pairs, lambda: Encoder([(model, tokenizer)]), config.bf16),
        save_best_fn=lambda score, step: save_model_folder(best, model, tokenizer),
        log_metrics=mlflow_metrics_logger(f"{name}."),
        resume=resume,
        description=name,
        extra_fingerprint={"base_model": str(base_model), "settings": settings.__dict__},
    )
    return (check_model_folder(best) if distributed.is_main_process() else best), result
