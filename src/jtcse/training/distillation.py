"""Stage 3: distil the frozen JTCSE ensemble into one tower (JTCSE-D, docs/method.md#distillation).

The teacher is the decoupled ensemble t(x) = h1_CLS(x) + h2_CLS(x) (each tower alone, eval
mode, on the student's truncated token ids), computed once for the corpus
(:func:`teacher_embeddings`). The student s(x) is the
last-layer [CLS] of one encoder (the base model or a tower). Each sentence appears once per
batch; with its teacher row t and student row s::

    L_D = k * InfoNCE_tau([t_1, s_1, ..., t_N, s_N]) + (1 - k) * mean |s - t|

(:func:`jtcse.losses.distillation_loss`; settings
:class:`jtcse.training.settings.DistillationSettings`). The best student on STS-B dev is kept
as a standard Hugging Face folder that is also a sentence-transformers folder ([CLS] pooling),
so it runs at the cost of one tower.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from jtcse.encoding import Encoder
from jtcse.losses import distillation_terms
from jtcse.modeling.chunking import cls_in_length_chunks
from jtcse.modeling.folders import write_model_folder, write_sentence_transformers_config
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.training import distributed
from jtcse.training.batching import sentence_collator
from jtcse.training.config import TrainingConfig, TrainingResult
from jtcse.training.loop import LossFunction
from jtcse.training.run import model_overrides, run_training
from jtcse.training.settings import DistillationSettings


def teacher_embeddings(
    tower_folders: Sequence[str | Path],
    sentences: Sequence[str],
    max_length: int,
    batch_size: int = 128,
    bf16: bool = False,
) -> np.ndarray:
    """The frozen teacher t(x) = h1_CLS(x) + h2_CLS(x), each tower encoding alone.

    Each sentence is truncated at ``max_length`` tokens, the student's
    ``DistillationSettings.max_length``: teacher and student read the same token ids
    (docs/method.md#distillation), so no row is a target the student cannot see.

    Returns:
        Float32 array ``[len(sentences), hidden]``, row i the teacher of ``sentences[i]``.
    """
    if not tower_folders:
        raise ValueError("tower_folders must name at least one model folder; got none")
    encoder = Encoder.load(list(tower_folders), pooling="cls", bf16=bf16, max_length=max_length)
    return encoder.encode(list(sentences), batch_size).astype(np.float32, copy=False)


def student_loss(teacher: torch.Tensor, settings: DistillationSettings) -> LossFunction:
    """The ``loss_fn`` of distillation: :func:`jtcse.losses.distillation_terms` of the whole
    global batch.

    ``batch["rows"]`` holds the teacher row of each sentence of the batch; the student's
    [CLS] rows and these row numbers of every process are gathered
    (:func:`jtcse.training.distributed.gather_with_local_gradient`), so the InfoNCE negatives
    and the L1 mean run over the same rows as in one process.
    """

    def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        rows = distributed.gather_with_local_gradient(batch.pop("rows"))
        student_cls = cls_in_length_chunks(model, batch, settings.length_chunks)
        student_cls = distributed.gather_with_local_gradient(student_cls)
        return distillation_terms(teacher[rows], student_cls, settings)

    return loss_fn


def train_student(
    student_init: str | Path,
    sentences: Sequence[str],
    teacher: np.ndarray,
    sts_pairs: pd.DataFrame,
    settings: DistillationSettings,
    config: TrainingConfig,
    work_dir: Path,
    name: str = "student",
    resume: bool = True,
) -> tuple[Path, TrainingResult]:
    """Distil ``teacher`` into the student; return its best folder and the run summary.

    Args:
        student_init: folder, Hub id or alias the student starts from.
        sentences: the training corpus; the student trains on its first
            ``settings.max_sentences`` sentences.
        teacher: ``[rows, hidden]`` teacher embeddings, row i for ``sentences[i]``, at least
            one row per training sentence (see :func:`teacher_embeddings`).
        sts_pairs: the STS table; only its STS-B dev pairs are used (model selection of the
            student alone).
        settings: distillation knobs; config: optimisation settings.
        work_dir: holds ``checkpoints/`` (resumable state) and ``best/`` (best model folder,
            also a sentence-transformers folder).
        name: label for progress bars and MLflow metric names.

    Runs on the process group of ``torchrun`` when there is one (rank 0 writes the folder).
    """
    distributed.init_from_environment()  # before loading: selects this process's GPU
    selected = list(sentences[: settings.max_sentences])
    if teacher.ndim != 2 or teacher.shape[0] < len(selected):
        raise ValueError(
            f"teacher must be a [rows, hidden] array with a row for each of the "
            f"{len(selected)} training sentences; got shape {teacher.shape}"
        )
    model, tokenizer = load_model_and_tokenizer(
        student_init, **model_overrides(settings.dropout, config.bf16)
    )
    hidden_size = int(model.config.hidden_size)
    if teacher.shape[1] != hidden_size:
        raise ValueError(
            f"teacher has {teacher.shape[1]} columns but the student {student_init} has "
            f"hidden size {hidden_size}"
        )
    teacher = np.ascontiguousarray(teacher, dtype=np.float32)
    teacher_tensor = torch.from_numpy(teacher).to(model.device)
    row_of = {sentence: row for row, sentence in enumerate(selected)}
    tokenize = sentence_collator(tokenizer, settings.max_length, views=1)

    def collate(batch_sentences: list[str]) -> dict[str, torch.Tensor]:
        batch = tokenize(batch_sentences)
        batch["rows"] = torch.tensor([row_of[sentence] for sentence in batch_sentences])
        return batch

    def write_best(folder: Path) -> None:
        write_model_folder(folder, model, tokenizer)
        write_sentence_transformers_config(folder, hidden_size, settings.max_length)

    (best,), result = run_training(
        model,
        selected,
        collate,
        student_loss(teacher_tensor, settings),
        config,
        work_dir,
        sts_pairs,
        make_encoder=lambda: Encoder.from_models([(model, tokenizer)]),
        write_best=write_best,
        name=name,
        resume=resume,
        fingerprint={
            "student_init": str(student_init),
            "teacher": hashlib.sha256(teacher.tobytes()).hexdigest(),
            "settings": asdict(settings),
        },
    )
    return best, result
