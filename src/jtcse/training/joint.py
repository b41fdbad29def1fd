"""Stage 2: joint training of two towers (JTCSE; TNCSE when n = 0), docs/method.md#joint-training.

Each step draws the coin (a, b) = (1, 2) or (2, 1) and minimises the joint loss L of
:func:`jtcse.losses.joint_loss` (InfoNCE of each tower, cross-InfoNCE from tower a to b, at the
last layer and after the last cross-attention layer, and the tensor-modulus terms) with the
settings of :class:`jtcse.training.settings.JointSettings`.

Selection uses STS-B dev of the decoupled ensemble e(x) = h^1(x) + h^2(x), each tower
encoding alone (the published protocol). The best model is saved with
:meth:`TwinTowerModel.save_pretrained`: two standard model folders whose ``config.json`` records
the :class:`~jtcse.modeling.twin_tower_config.TwinTowerConfig` (key ``jtcse``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields, replace
from pathlib import Path

import pandas as pd
import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from jtcse.encoding import BaseEncoder, CoupledTwinEncoder, Encoder
from jtcse.losses import joint_loss
from jtcse.modeling.chunking import forward_in_length_chunks
from jtcse.modeling.device import default_device
from jtcse.modeling.folders import folder_digest
from jtcse.modeling.loading import load_pretrained_model, resolve_model_path
from jtcse.modeling.twin_tower import TOWER_FOLDERS, TwinTowerModel, TwinTowerOutput
from jtcse.modeling.twin_tower_config import TwinTowerConfig
from jtcse.training import distributed
from jtcse.training.batching import sentence_collator
from jtcse.training.config import TrainingConfig, TrainingResult
from jtcse.training.loop import LossFunction
from jtcse.training.run import model_overrides, run_training
from jtcse.training.settings import JointSettings


def joint_training_loss(settings: JointSettings) -> LossFunction:
    """The ``loss_fn`` of joint training: :func:`jtcse.losses.joint_loss` of the whole global
    batch.

    JTCSE's coin picks the anchor tower a from the global torch RNG (in a multi-process run
    rank 0 draws it and every rank uses that side); TNCSE (no cross-attention) always
    anchors on tower 1: l_IC(h^1, h^2), docs/method.md#joint-loss. The twin-tower outputs of every
    process are gathered (:func:`jtcse.training.distributed.gather_with_local_gradient`), so
    every term, the modulus term included, sees the same rows as in one process.
    """

    def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        anchor_tower = (
            distributed.broadcast_object(int(torch.randint(1, 3, ()).item()))
            if settings.num_cross_attention_layers > 0
            else 1
        )
        output = forward_in_length_chunks(
            model, batch["input_ids"], batch["attention_mask"], settings.length_chunks
        )
        return joint_loss(_gather_output(output), settings, anchor_tower)

    return loss_fn


def _gather_output(output: TwinTowerOutput) -> TwinTowerOutput:
    """Every process's rows of each per-row tensor of ``output`` (identity in one process)."""
    rows = {
        field.name: distributed.gather_with_local_gradient(getattr(output, field.name))
        for field in fields(output)
        if getattr(output, field.name) is not None and getattr(output, field.name).dim() > 0
    }
    return replace(output, **rows)


def selection_encoder(
    model: TwinTowerModel, tokenizer: PreTrainedTokenizerBase, selection: str
) -> BaseEncoder:
    """The encoder model selection scores: the towers each alone and summed (``decoupled``)
    or the coupled twin-tower model (``coupled``), over the current weights."""
    if selection == "coupled":
        return CoupledTwinEncoder(model, tokenizer)
    return Encoder.from_models([(model.tower_1, tokenizer), (model.tower_2, tokenizer)])


def train_joint(
    tower_1: str | Path,
    tower_2: str | Path,
    sentences: Sequence[str],
    sts_pairs: pd.DataFrame,
    settings: JointSettings,
    config: TrainingConfig,
    work_dir: Path,
    name: str = "jtcse",
    resume: bool = True,
) -> tuple[Path, Path, TrainingResult]:
    """Train two towers jointly; return the best tower folders and the run summary.

    ``work_dir`` holds ``checkpoints/`` and ``best/tower_1``, ``best/tower_2``. Runs on the
    process group of ``torchrun`` when there is one (rank 0 writes the folders).
    """
    distributed.init_from_environment()  # before loading: selects this process's GPU
    towers = [
        load_pretrained_model(tower, **model_overrides(settings.dropout, config.bf16))
        for tower in (tower_1, tower_2)
    ]
    coupling = TwinTowerConfig(
        settings.num_cross_attention_layers, settings.coupling, name, asdict(settings)
    )
    model = TwinTowerModel(*towers, coupling).to(default_device())
    if model.tower_1.pooler is None or model.tower_2.pooler is None:
        raise ValueError("joint training needs towers with a pooler layer (the ICTM term)")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(tower_1))

    (best_1, best_2), result = run_training(
        model,
        list(sentences[: settings.max_sentences]),
        sentence_collator(tokenizer, settings.max_length, views=2),
        joint_training_loss(settings),
        config,
        work_dir,
        sts_pairs,
        make_encoder=lambda: selection_encoder(model, tokenizer, settings.selection),
        write_best=lambda folder: model.save_pretrained(folder, tokenizer),
        name=name,
        resume=resume,
        fingerprint={
            "towers": [folder_digest(resolve_model_path(tower)) for tower in (tower_1, tower_2)],
            "settings": asdict(settings),
        },
        best_folders=TOWER_FOLDERS,
    )
    return best_1, best_2, result
