"""Stage 2: joint training of two towers (JTCSE; TNCSE when n = 0), METHOD.md section 2.

With B = 2N rows (rows 2m, 2m+1 the two dropout views of sentence m), h^k the last-layer
[CLS] of tower k, p^k its pooler output and u^k its [CLS] after the attention sub-block of
the last cross-attention layer, and (a, b) = (1, 2) or (2, 1) drawn by a fair coin each step:

    L = w_nce   * (l_NCE(h^1) + l_NCE(h^2))
      + w_icnce * l_IC(h^a, h^b)
      + w_icnce_intermediate * l_IC(u^a, u^b)            (only with cross-attention, n > 0)
      + w_ictm  * (LTN(1 -> 2) + LTN(2 -> 1))

Selection uses STS-B dev of the decoupled ensemble e(x) = h^1(x) + h^2(x), each tower
encoding alone (the published protocol). Both towers are saved as standard model folders; their
``config.json`` records how they were coupled (key ``jtcse``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import pandas as pd
import torch
from transformers import AutoTokenizer

from jtcse import distributed
from jtcse.encoder import Encoder
from jtcse.losses import cross_info_nce, info_nce, modulus_loss
from jtcse.modeling.chunking import forward_in_length_chunks
from jtcse.modeling.folders import (
    check_model_folder,
    folder_digest,
    replace_folder_atomically,
    save_model_folder,
)
from jtcse.modeling.loading import default_device, resolve_model_path
from jtcse.modeling.twin_tower import TwinTowerModel, TwinTowerOutput
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
class JointSettings:
    """The coupling and the loss of joint training.

    Attributes:
        num_cross_attention_layers: n, equally spaced over the L layers (0: TNCSE).
        coupling: ``value_swap`` (default), ``cls_query`` or ``value_sum``.
        weight_nce, weight_icnce, weight_icnce_intermediate, weight_ictm: loss weights
            (0 switches a term off).
        dropout: hidden and attention dropout of both towers during joint training.
        max_sentences: train on the first this many corpus sentences (None: all).
        max_length: truncation length in tokens; temperature: tau of the InfoNCE terms.
        length_chunks: run each batch in this many length-sorted chunks (same result, less
            padding; see :mod:`jtcse.modeling.chunking`).
    """

    num_cross_attention_layers: int = 3
    coupling: str = "value_swap"
    weight_nce: float = 1.0
    weight_icnce: float = 1.0
    weight_icnce_intermediate: float = 1.0
    weight_ictm: float = 1.0
    dropout: float = 0.1
    max_sentences: int | None = None
    max_length: int = 64
    temperature: float = 0.05
    length_chunks: int = 4

    def __post_init__(self) -> None:
        if self.length_chunks < 1:
            raise ValueError(f"length_chunks must be >= 1; got {self.length_chunks}")
        if self.max_sentences is not None and self.max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1 or null; got {self.max_sentences}")
        for name in ("weight_nce", "weight_icnce", "weight_icnce_intermediate", "weight_ictm"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)}")
        active = ["weight_nce", "weight_icnce", "weight_ictm"]
        if self.num_cross_attention_layers > 0:  # the intermediate term exists only then
            active.append("weight_icnce_intermediate")
        if not any(getattr(self, name) > 0 for name in active):
            raise ValueError(f"one of {', '.join(active)} must be > 0; they are all 0")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout}")


def joint_loss(
    output: TwinTowerOutput, settings: JointSettings, anchor_tower: int
) -> dict[str, torch.Tensor]:
    """The terms of L (module docstring); ``anchor_tower`` a in {1, 2} is the coin's side."""
    if anchor_tower not in (1, 2):
        raise ValueError(f"anchor_tower must be 1 or 2; got {anchor_tower!r}")
    cls = {1: output.cls_1, 2: output.cls_2}
    intermediate = {1: output.intermediate_cls_1, 2: output.intermediate_cls_2}
    a, b = anchor_tower, 3 - anchor_tower
    terms = {
        "nce": info_nce(output.cls_1, settings.temperature)
        + info_nce(output.cls_2, settings.temperature),
        "icnce": cross_info_nce(cls[a], cls[b], settings.temperature),
        "ictm": modulus_loss(output.cls_1, output.cls_2, output.pooled_1, output.pooled_2)
        + modulus_loss(output.cls_2, output.cls_1, output.pooled_2, output.pooled_1),
    }
    weights = {
        "nce": settings.weight_nce,
        "icnce": settings.weight_icnce,
        "ictm": settings.weight_ictm,
    }
    if intermediate[a] is not None:
        terms["icnce_intermediate"] = cross_info_nce(
            intermediate[a], intermediate[b], settings.temperature
        )
        weights["icnce_intermediate"] = settings.weight_icnce_intermediate
    total = sum(weights[name] * value for name, value in terms.items() if weights[name])
    return {"loss": total, **terms}


def joint_training_loss(settings: JointSettings) -> LossFunction:
    """The ``loss_fn`` of joint training: :func:`joint_loss` of the whole global batch.

    The coin picks the anchor tower from the global torch RNG; in a multi-process run rank 0
    draws it and every rank uses that side. The twin-tower outputs of every process are
    gathered (:func:`jtcse.distributed.gather_with_local_gradient`), so every term, the
    modulus term included, sees the same rows as in one process.
    """

    def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        anchor_tower = distributed.broadcast_object(int(torch.randint(1, 3, ()).item()))
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
    work_dir = Path(work_dir)
    distributed.init_from_environment()  # before loading: selects this process's GPU
    dropout = {
        "hidden_dropout_prob": settings.dropout,
        "attention_probs_dropout_prob": settings.dropout,
    }
    model = TwinTowerModel.from_pretrained(
        resolve_model_path(tower_1),
        resolve_model_path(tower_2),
        num_cross_attention_layers=settings.num_cross_attention_layers,
        coupling=settings.coupling,
        **dropout,
    ).to(default_device())
    if model.tower_1.pooler is None or model.tower_2.pooler is None:
        raise ValueError("joint training needs towers with a pooler layer (the ICTM term)")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(tower_1))
    for tower in (model.tower_1, model.tower_2):
        tower.config.jtcse = {"stage": name, **asdict(settings)}

    best = work_dir / "best"

    def save_best(score: float, step: int) -> None:
        def write(folder: Path) -> None:  # both towers swapped in together
            save_model_folder(folder / "tower_1", model.tower_1, tokenizer)
            save_model_folder(folder / "tower_2", model.tower_2, tokenizer)

        replace_folder_atomically(best, write)

    ensemble = lambda: Encoder([(model.tower_1, tokenizer), (model.tower_2, tokenizer)])  # noqa: E731
    result = train(
        model,
        list(sentences[: settings.max_sentences]),
        sentence_collator(tokenizer, settings.max_length, views=2),
        joint_training_loss(settings),
        config,
        work_dir / "checkpoints",
        evaluate_fn=dev_scorer(sts_pairs, ensemble, config.bf16),
        save_best_fn=save_best,
        log_metrics=mlflow_metrics_logger(f"{name}."),
        resume=resume,
        description=name,
        extra_fingerprint={
            "towers": [folder_digest(resolve_model_path(tower)) for tower in (tower_1, tower_2)],
            "settings": asdict(settings),
        },
    )
    if not distributed.is_main_process():
        return best / "tower_1", best / "tower_2", result
    return check_model_folder(best / "tower_1"), check_model_folder(best / "tower_2"), result
