"""The outline every training run shares (a tower, a joint run, the student).

A run loads its model, then hands :func:`run_training` what differs: the corpus and collator,
the loss, the encoder that model selection scores on STS-B dev, and how to write the best
model folder(s). :func:`run_training` trains with :func:`jtcse.training.loop.train` under
``<work_dir>/checkpoints`` (resumable), logs to MLflow under ``<name>.``, swaps each new best
into ``<work_dir>/best`` atomically, and returns the checked best folder(s). The working
directory is locked for the run (:mod:`jtcse.training.work_lock`). On a process group
(``torchrun``) rank 0 alone locks, writes and checks the folders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import torch

from jtcse.atomic import replace_folder_atomically
from jtcse.evaluation.selection import dev_scorer
from jtcse.modeling.folders import check_model_folder
from jtcse.modeling.precision import attention_implementation, resolve_bf16
from jtcse.training import distributed
from jtcse.training.config import TrainingConfig, TrainingResult
from jtcse.training.loop import LossFunction, mlflow_metrics_logger, train
from jtcse.training.work_lock import locked_work_directory

if TYPE_CHECKING:
    from jtcse.encoding.base import BaseEncoder


def model_overrides(dropout: float, bf16: bool | str) -> dict[str, Any]:
    """What a BERT-style model trained with ``bf16`` (true, false, auto) loads with: its
    hidden and attention dropout, and the attention kernel of that precision on the default
    device (:func:`~jtcse.modeling.precision.attention_implementation`)."""
    return {
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
        "attn_implementation": attention_implementation(resolve_bf16(bf16)),
    }


def run_training(
    model: torch.nn.Module,
    sentences: Sequence[str],
    collate_fn: Callable[[list[str]], dict[str, torch.Tensor]],
    loss_fn: LossFunction,
    config: TrainingConfig,
    work_dir: Path,
    sts_pairs: pd.DataFrame,
    make_encoder: Callable[[], BaseEncoder],
    write_best: Callable[[Path], None],
    name: str,
    resume: bool,
    fingerprint: Mapping[str, Any],
    best_folders: Sequence[str] = ("",),
) -> tuple[list[Path], TrainingResult]:
    """Train ``model`` as one stage; return its best folders and the run summary.

    Args:
        model, sentences, collate_fn, loss_fn, config: as for :func:`jtcse.training.train`.
        work_dir: holds ``checkpoints/`` (resumable state) and ``best/``.
        sts_pairs: the STS table; only its STS-B dev pairs score ``make_encoder()``.
        write_best: writes the current model into a fresh folder (``best/`` is replaced by
            it atomically at each new best dev score).
        name: label of the progress bar and prefix of the MLflow metric names.
        resume: continue from the checkpoint in ``work_dir`` when there is one.
        fingerprint: what else must match to resume (base model, settings ...).
        best_folders: the model folders inside ``best/`` to check and return (``""``:
            ``best/`` itself).
    """
    best = Path(work_dir) / "best"
    # rank 0 holds the lock for the whole process group (only it writes)
    lock = locked_work_directory(work_dir) if distributed.is_main_process() else nullcontext()
    with lock:
        result = train(
            model,
            sentences,
            collate_fn,
            loss_fn,
            config,
            Path(work_dir) / "checkpoints",
            evaluate_fn=dev_scorer(sts_pairs, make_encoder, config.bf16),
            save_best_fn=lambda score, step: replace_folder_atomically(best, write_best),
            log_metrics=mlflow_metrics_logger(f"{name}."),
            resume=resume,
            description=name,
            extra_fingerprint=fingerprint,
        )
    folders = [best / folder for folder in best_folders]
    if distributed.is_main_process():
        folders = [check_model_folder(folder) for folder in folders]
    return folders, result
