"""Masked-language-model pretraining from random weights: the base model of the regime study
(a BERT pretrained only with masked language modelling, as the paper's BERT and RoBERTa).

BERT's objective with dynamic masking: each time a batch is collated, every non-special token
is chosen with probability p (``mask_probability``, 0.15); a chosen token becomes ``[MASK]``
(80%), a random token of the vocabulary (10%) or stays itself (10%). The loss is the mean
cross-entropy of the original token over the chosen positions M of the whole global batch:

    L = -(1/|M|) sum_{i in M} log softmax(W h_i + b)[x_i]

with h_i the last layer's transformed hidden state and W the output embeddings (tied to the
input embeddings, V x d). :class:`SparseMaskedLm` computes the V-wide output layer at the
chosen positions only (about p of them): for a small BERT that layer, computed everywhere,
costs more than the encoder itself.

Model selection: the loss on held-out sentences (never trained on) with masks drawn once from a
fixed seed, so every evaluation scores the same predictions; the score is -L (higher is
better), and the masked-token accuracy is logged beside it. The best model is saved as a
standard Hugging Face folder (``BertForMaskedLM`` and the tokenizer): ``AutoModel`` reads its
encoder, ``AutoModelForMaskedLM`` the whole model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

from jtcse.atomic import replace_folder_atomically
from jtcse.modeling.device import default_device
from jtcse.modeling.names import resolve_model_path
from jtcse.modeling.precision import attention_implementation, resolve_bf16
from jtcse.training import distributed
from jtcse.training.config import TrainingConfig, TrainingResult
from jtcse.training.loop import mlflow_metrics_logger, train
from jtcse.training.settings import MlmSettings
from jtcse.training.work_lock import locked_work_directory

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

IGNORED = -100  # the label of a position that is not predicted
MASK_SHARE, RANDOM_SHARE = 0.8, 0.1  # of the chosen tokens; the rest stay themselves


def build_model(
    settings: MlmSettings, tokenizer: PreTrainedTokenizerBase, attention: str = "sdpa"
) -> BertForMaskedLM:
    """A randomly initialised ``BertForMaskedLM`` of the settings' shape over the tokenizer's
    vocabulary (weights drawn after ``torch.manual_seed(init_seed)``), its attention kernel
    ``attention`` (``sdpa`` or ``eager``; the saved folder does not record it)."""
    config = BertConfig(
        attn_implementation=attention,
        vocab_size=len(tokenizer),
        hidden_size=settings.hidden_size,
        num_hidden_layers=settings.num_layers,
        num_attention_heads=settings.num_attention_heads,
        intermediate_size=settings.intermediate_size,
        max_position_embeddings=settings.max_position_embeddings,
        hidden_dropout_prob=settings.dropout,
        attention_probs_dropout_prob=settings.dropout,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(settings.init_seed)
    return BertForMaskedLM(config)


def mask_tokens(
    input_ids: Tensor,
    maskable: Tensor,
    probability: float,
    mask_id: int,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """(inputs, labels) of BERT's masking: each ``maskable`` position chosen with
    ``probability``; chosen ones become ``mask_id`` (80%), a uniform random id (10%) or stay
    (10%); ``labels`` holds the original id at chosen positions and :data:`IGNORED`
    elsewhere. Draws from ``generator`` (None: torch's global generator)."""
    draw = torch.rand(input_ids.shape, generator=generator)
    chosen = (draw < probability) & maskable
    share = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    inputs = torch.where(chosen & (share < MASK_SHARE), mask_id, input_ids)
    randomised = chosen & (share >= MASK_SHARE) & (share < MASK_SHARE + RANDOM_SHARE)
    inputs = torch.where(randomised, random_ids, inputs)
    return inputs, torch.where(chosen, input_ids, IGNORED)


def mlm_collator(
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    probability: float,
    generator: torch.Generator | None = None,
) -> Callable[[list[str]], dict[str, Tensor]]:
    """A collate function: tokenise (padded to the batch's longest, cut at ``max_length``),
    then mask (:func:`mask_tokens`; special and padding tokens are never chosen)."""

    def collate(sentences: list[str]) -> dict[str, Tensor]:
        encoded = tokenizer(
            list(sentences),
            padding="longest",
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
            return_special_tokens_mask=True,
        )
        special = encoded.pop("special_tokens_mask").bool()
        maskable = ~special & encoded["attention_mask"].bool()
        inputs, labels = mask_tokens(
            encoded["input_ids"],
            maskable,
            probability,
            tokenizer.mask_token_id,
            len(tokenizer),
            generator,
        )
        return {**encoded, "input_ids": inputs, "labels": labels}

    return collate


class SparseMaskedLm(nn.Module):
    """A ``BertForMaskedLM`` whose forward returns, for a masked batch, the summed
    cross-entropy over the chosen positions, the number of them and the number predicted
    right, with the output layer computed at those positions only."""

    def __init__(self, model: BertForMaskedLM) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: Tensor, attention_mask: Tensor, labels: Tensor, **inputs: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        hidden = self.model.bert(
            input_ids=input_ids, attention_mask=attention_mask, **inputs
        ).last_hidden_state
        chosen = labels != IGNORED
        logits = self.model.cls(hidden[chosen]).float()
        target = labels[chosen]
        total = nn.functional.cross_entropy(logits, target, reduction="sum")
        correct = (logits.argmax(dim=-1) == target).sum()
        return total, chosen.sum(), correct


def masked_lm_loss(model: nn.Module, batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """The ``loss_fn`` of pretraining: ``{"loss", "mlm", "accuracy"}``, the mean over the
    chosen positions of the whole global batch (sums and counts gathered from every process,
    the gradient through this process's sum)."""
    total, count, correct = model(**batch)
    positions = distributed.gather_with_local_gradient(count.reshape(1).float()).sum()
    loss = distributed.gather_with_local_gradient(total.reshape(1)).sum() / positions.clamp(min=1)
    right = distributed.gather_with_local_gradient(correct.reshape(1).float()).sum()
    return {"loss": loss, "mlm": loss.detach(), "accuracy": right / positions.clamp(min=1)}


def held_out_scorer(
    model: SparseMaskedLm,
    sentences: Sequence[str],
    tokenizer: PreTrainedTokenizerBase,
    settings: MlmSettings,
    bf16: bool,
    batch_size: int,
) -> Callable[[], dict[str, float]]:
    """``evaluate_fn`` of pretraining: ``dev_score`` -(mean masked-token loss) on
    ``sentences`` with masks drawn once (generator seeded with 0), so every call scores the
    same predictions, with ``held_out_loss`` and ``held_out_accuracy`` (the share predicted
    right), which the training loop logs at the evaluation's step."""
    collate = mlm_collator(
        tokenizer, settings.max_length, settings.mask_probability, torch.Generator().manual_seed(0)
    )
    batches = [
        collate(list(sentences[start : start + batch_size]))
        for start in range(0, len(sentences), batch_size)
    ]

    def evaluate() -> float:
        device = next(model.parameters()).device
        autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        was_training = model.training
        model.eval()
        total = count = correct = 0.0
        with torch.no_grad(), autocast:
            for batch in batches:
                loss_sum, positions, right = model(**{k: v.to(device) for k, v in batch.items()})
                total, count = total + float(loss_sum), count + float(positions)
                correct += float(right)
        model.train(was_training)
        loss = total / max(count, 1.0)
        accuracy = correct / max(count, 1.0)
        return {"dev_score": -loss, "held_out_loss": loss, "held_out_accuracy": accuracy}

    return evaluate


def pretrain(
    tokenizer_source: str | Path,
    sentences: Sequence[str],
    settings: MlmSettings,
    config: TrainingConfig,
    work_dir: Path,
    name: str = "mlm",
    resume: bool = True,
    write_card: Callable[[Path, float], None] | None = None,
) -> tuple[Path, TrainingResult]:
    """Pretrain a BERT with masked language modelling; return its best folder
    (``<work_dir>/best``) and the run summary.

    Args:
        tokenizer_source: folder, Hub id or alias whose tokenizer the model uses.
        sentences: the corpus (:meth:`MlmSettings.split`: the held-out ones are never trained
            on).
        settings: the model's shape and the masking; config: the optimisation (AdamW,
            warm-up, linear decay), checkpoints, evaluation and logging intervals.
        work_dir: holds ``checkpoints/`` (resumable state) and ``best/``.
        name: label of the progress bar and prefix of the MLflow metrics.
        write_card: writes the model card into a best folder, given its held-out loss.
    """
    distributed.init_from_environment()
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(tokenizer_source))
    training, held_out = settings.split(sentences)
    attention = attention_implementation(resolve_bf16(config.bf16))
    model = SparseMaskedLm(build_model(settings, tokenizer, attention)).to(default_device())
    best = Path(work_dir) / "best"

    def write_best(folder: Path, score: float) -> None:
        model.model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        if write_card is not None:
            write_card(folder, -score)

    lock = locked_work_directory(work_dir) if distributed.is_main_process() else nullcontext()
    with lock:
        result = train(
            model,
            training,
            mlm_collator(tokenizer, settings.max_length, settings.mask_probability),
            masked_lm_loss,
            config,
            Path(work_dir) / "checkpoints",
            evaluate_fn=held_out_scorer(
                model,
                held_out,
                tokenizer,
                settings,
                resolve_bf16(config.bf16),
                config.batch_size,
            ),
            save_best_fn=lambda score, step: replace_folder_atomically(
                best, lambda folder: write_best(folder, score)
            ),
            log_metrics=mlflow_metrics_logger(f"{name}."),
            resume=resume,
            description=name,
            extra_fingerprint={"tokenizer": str(tokenizer_source), "settings": settings.__dict__},
        )
    return best, result
