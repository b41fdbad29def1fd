"""The one training loop shared by tower training, JTCSE joint training and distillation.

The loop is generic: it optimises ``model`` with AdamW on the scalar ``loss_fn(model, batch)
["loss"]`` over batches of sentences, and knows nothing about towers or losses. Per step::

    batch   = collate_fn([sentences[i] for i in next batch of the epoch's permutation])
    terms   = loss_fn(model, batch)               # under bf16 autocast if config.bf16
    terms["loss"].backward(); clip the gradient norm to max_grad_norm; AdamW step; lr step

(on W processes: each collates its slice of the batch and backpropagates W * loss).

Every ``log_every`` steps the mean of every loss term (and of the gradient norm) over the
steps since the last log, plus the current learning rate, go to ``log_metrics``. Every
``eval_every`` steps and at the end, ``evaluate_fn()`` gives the STS-B dev Spearman
(higher is better); an improvement calls ``save_best_fn(score, step)``. Model selection must
only ever see a dev split: the caller's ``evaluate_fn`` must never score a test split.
Every ``checkpoint_every`` steps and at the end an atomic checkpoint (model, optimizer,
scheduler, RNG states, data position, best score, config fingerprint) replaces the previous
one (see :mod:`jtcse.checkpoints`); ``train(..., resume=True)`` continues from it and ends
with the same weights as an uninterrupted run. A checkpoint of another configuration is
stale: it is deleted with a warning and training starts over.

Frozen parts that must stay in eval mode (a distillation teacher) belong in ``loss_fn``'s
closure, not inside ``model``: the loop calls ``model.train()``.

Several processes (``torchrun``, :func:`jtcse.launcher.launch`; see :mod:`jtcse.distributed`):
``config.batch_size`` stays the global batch, so a configuration sees the same batches and
gets the same gradients on any number of processes W (only the dropout masks differ). Rank r
collates its contiguous slice of each global batch of the same epoch permutation, ``model``
is wrapped in DistributedDataParallel (which averages the gradients), and ``loss_fn`` must
return the loss of the whole global batch, gathering the embeddings of all ranks with
:func:`jtcse.distributed.gather_with_local_gradient` (:func:`compute_gradients` explains why
the gradient is then the single-process one). Rank 0 alone evaluates (its score is broadcast),
saves the best model, logs metrics, shows the progress bar and writes checkpoints, in the
1-process format; on resume it reads the checkpoint and sends it to every rank. Each rank
reseeds Python, NumPy and torch at every step from (seed, rank, step), so ranks draw different
dropout masks and augmentations and a resumed run still ends like an uninterrupted one.

Example (unsupervised SimCSE on one tower)::

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path)
    result = train(model, sentences, sentence_collator(tokenizer, max_length=64, views=2),
                   simcse_loss, TrainingConfig(learning_rate=3e-5, batch_size=64),
                   checkpoint_dir=Path("data/06_models/tower_1_checkpoints"),
                   evaluate_fn=lambda: sts_dev_spearman(model),
                   save_best_fn=lambda score, step: model.save_pretrained(best_dir),
                   log_metrics=mlflow_metrics_logger())
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import numbers
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from jtcse import distributed
from jtcse.checkpoints import (
    CorruptCheckpointError,
    latest_checkpoint,
    read_checkpoint,
    remove_checkpoints,
    remove_temporary_dirs,
    write_checkpoint,
)
from jtcse.tracking import log_metrics

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

LOGGER = logging.getLogger(__name__)
SCHEDULES = ("constant", "linear")
# Config fields that change neither the trained weights nor the model selection: a checkpoint
# made with other values of these may be resumed.
RESUME_INDEPENDENT_FIELDS = ("log_every", "checkpoint_every")

LossFunction = Callable[[torch.nn.Module, dict[str, Tensor]], dict[str, Tensor]]
MetricsLogger = Callable[[dict[str, float], int], None]
Checkpoint = tuple[dict[str, Any], dict[str, Any]]  # (objects, metadata) of a checkpoint


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings of one training run.

    Attributes:
        learning_rate: Peak AdamW learning rate.
        batch_size: Sentences per batch (a collator may turn each into several rows); the
            global batch, split between the processes of a multi-process run.
        num_epochs: Passes over the sentences; None to stop only at ``max_steps``.
        max_steps: Stop after this many optimiser steps (None: no limit); the run ends at
            whichever of ``num_epochs`` and ``max_steps`` comes first.
        weight_decay: AdamW decoupled weight decay, applied to parameters with >= 2
            dimensions only (not to biases and LayerNorm weights, as the Hugging Face
            Trainer does).
        schedule: "constant" or "linear" (linear decay to the end, see
            :func:`learning_rate_multiplier`), both after ``warmup_steps`` of linear warm-up.
        warmup_steps: Steps of linear warm-up from lr/warmup_steps to lr.
        max_grad_norm: Clip the global L2 norm of the gradient to this (None: no clipping).
        bf16: Run the forward pass and loss under bfloat16 autocast (weights stay float32).
        seed: Seeds Python, NumPy and torch at the start; epoch e uses the data order
            ``randperm`` seeded with ``seed + e``.
        eval_every: Call ``evaluate_fn`` every this many steps (and at the end).
        log_every: Log metrics every this many steps (and at the end).
        checkpoint_every: Write a resumable checkpoint every this many steps (and at the end).
    """

    learning_rate: float
    batch_size: int
    num_epochs: int | None = 1
    max_steps: int | None = None
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_steps: int = 0
    max_grad_norm: float | None = 1.0
    bf16: bool = False
    seed: int = 42
    eval_every: int = 100
    log_every: int = 10
    checkpoint_every: int = 100

    def __post_init__(self) -> None:
        _require_real("learning_rate", self.learning_rate, positive=True)
        _require_integer("batch_size", self.batch_size, minimum=1)
        _require_integer("num_epochs", self.num_epochs, minimum=1, optional=True)
        _require_integer("max_steps", self.max_steps, minimum=1, optional=True)
        if self.num_epochs is None and self.max_steps is None:
            raise ValueError("num_epochs and max_steps are both None: set at least one")
        _require_real("weight_decay", self.weight_decay, positive=False)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        _require_integer("warmup_steps", self.warmup_steps, minimum=0)
        _require_real("max_grad_norm", self.max_grad_norm, positive=True, optional=True)
        if not isinstance(self.bf16, bool):
            raise ValueError(f"bf16 must be True or False, got {self.bf16!r}")
        _require_integer("seed", self.seed, minimum=0)
        if self.seed >= 2**32:
            raise ValueError(f"seed must be below 2**32, got {self.seed!r}")
        for name in ("eval_every", "log_every", "checkpoint_every"):
            _require_integer(name, getattr(self, name), minimum=1)


@dataclass
class TrainingResult:
    """Outcome of :func:`train`.

    Attributes:
        global_step: Optimiser steps done in total (including those before a resume).
        best_score: Best dev score seen (None without ``evaluate_fn``).
        best_step: Step at which ``best_score`` was reached.
        last_metrics: The last metrics logged for training steps (name -> value).
        dev_history: ``(step, dev score)`` of every evaluation, in order.
        metric_history: Every training log, in order: ``{"step": step, name: value, ...}``
            (kept across resumes, so a resumed run has the whole curve).
    """

    global_step: int
    best_score: float | None
    best_step: int | None
    last_metrics: dict[str, float]
    dev_history: list[tuple[int, float]]
    metric_history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class _Progress:
    """Where the run stands; saved as checkpoint metadata."""

    global_step: int = 0
    epoch: int = 0
    position_in_epoch: int = 0
    best_score: float | None = None
    best_step: int | None = None
    dev_history: list[tuple[int, float]] = field(default_factory=list)
    last_metrics: dict[str, float] = field(default_factory=dict)
    metric_history: list[dict[str, float]] = field(default_factory=list)


def sentence_collator(
    tokenizer: PreTrainedTokenizerBase, max_length: int, views: int = 2
) -> Callable[[list[str]], dict[str, Tensor]]:
    """A collate function: tokenise a batch, padded to its longest sentence, each row repeated.

    The batch is padded to its own longest sentence (truncated to ``max_length`` tokens), never
    to ``max_length``. Each row is repeated ``views`` times, interleaved: with views=2 rows
    2m and 2m+1 are sentence m twice (dropout makes them two views); views=1 for distillation.

    Returns:
        ``collate(sentences) -> {"input_ids", "attention_mask", ...}``, each of shape
        ``(views * len(sentences), longest length)``.
    """
    _require_integer("max_length", max_length, minimum=1)
    _require_integer("views", views, minimum=1)

    def collate(sentences: list[str]) -> dict[str, Tensor]:
        if not sentences:
            raise ValueError("cannot collate an empty batch of sentences")
        encoded = tokenizer(
            list(sentences),
            padding="longest",
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        return {name: values.repeat_interleave(views, dim=0) for name, values in encoded.items()}

    return collate


def count_training_steps(config: TrainingConfig, num_sentences: int) -> int:
    """Optimiser steps of a run: min(num_epochs * ceil(num_sentences / batch_size), max_steps)."""
    _require_integer("num_sentences", num_sentences, minimum=1)
    limits = [] if config.max_steps is None else [config.max_steps]
    if config.num_epochs is not None:
        limits.append(config.num_epochs * math.ceil(num_sentences / config.batch_size))
    return min(limits)


def learning_rate_multiplier(
    update_index: int, schedule: str, warmup_steps: int, total_steps: int
) -> float:
    """Factor f on the peak learning rate for update k = update_index + 1 (k = 1 .. T).

    Warm-up (k <= W): f = k / W. Afterwards "constant": f = 1; "linear":
    f = (T - k + 1) / (T - W), so the first update after warm-up uses the full rate and the
    last one (k = T) uses 1 / (T - W) of it.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    update = update_index + 1
    if update <= warmup_steps:
        return update / warmup_steps
    if schedule == "linear":
        return max(0.0, (total_steps - update + 1) / (total_steps - warmup_steps))
    return 1.0


def epoch_permutation(num_sentences: int, seed: int, epoch: int) -> Tensor:
    """The data order of ``epoch``: ``randperm(num_sentences)`` seeded with ``seed + epoch``."""
    generator = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(num_sentences, generator=generator)


def mlflow_metrics_logger(prefix: str = "") -> MetricsLogger:
    """A ``log_metrics`` callable: logs to the active MLflow run, each name prefixed with
    ``prefix``; does nothing without an active run."""

    def log(metrics: dict[str, float], step: int) -> None:
        log_metrics(metrics, prefix, step)

    return log


def train(
    model: torch.nn.Module,
    sentences: Sequence[str],
    collate_fn: Callable[[list[str]], dict[str, Tensor]],
    loss_fn: LossFunction,
    config: TrainingConfig,
    checkpoint_dir: Path,
    evaluate_fn: Callable[[], float] | None = None,
    save_best_fn: Callable[[float, int], None] | None = None,
    log_metrics: MetricsLogger | None = None,
    resume: bool = True,
    description: str = "train",
    extra_fingerprint: Mapping[str, Any] | None = None,
) -> TrainingResult:
    """Train ``model`` on ``sentences``; see the module docstring for the loop.

    Args:
        model: Trained in place (its parameters with ``requires_grad``); batches are moved to
            the device of its first trainable parameter.
        sentences: The training corpus; epoch e visits it in :func:`epoch_permutation` order.
        collate_fn: Sentences -> model inputs, e.g. :func:`sentence_collator`.
        loss_fn: ``(model, batch) -> {"loss": total, other named scalar terms...}``; under a
            process group, the loss of the whole global batch (module docstring).
        config: Optimisation settings.
        checkpoint_dir: Directory owned by this run for resumable checkpoints (only the
            latest is kept).
        evaluate_fn: Returns the dev score (higher is better; NaN never counts as best).
            Called in eval mode under ``torch.no_grad()``; must not look at test splits.
        save_best_fn: Called as ``save_best_fn(score, step)`` when the dev score improves.
        log_metrics: Receives ``(metrics, step)``: the training terms, "learning_rate",
            "grad_norm" (before clipping; only with clipping), and {"dev_score": score}.
        resume: Continue from the latest checkpoint in ``checkpoint_dir`` if there is one
            (it must come from the same configuration); False deletes it and starts over.
        description: Label of the progress bar.
        extra_fingerprint: JSON-serialisable values that must also match to resume (model
            name, loss weights, corpus digest ...), besides the config and corpus size.

    Returns:
        The :class:`TrainingResult` (the same on every rank); the model holds the last (not
        the best) weights.
    """
    if len(sentences) == 0:
        raise ValueError("sentences is empty: nothing to train on")
    total_steps = count_training_steps(config, len(sentences))
    if config.warmup_steps >= total_steps and config.warmup_steps > 0:
        raise ValueError(
            f"warmup_steps ({config.warmup_steps}) must be smaller than the number of "
            f"training steps ({total_steps})"
        )
    distributed.init_from_environment()
    _check_split_between_processes(config, len(sentences), total_steps)
    identity = _run_identity(config, sentences, extra_fingerprint)
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if not parameters:
        raise ValueError("model has no parameter with requires_grad=True: nothing to train")
    optimizer = _adamw(parameters, config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda index: learning_rate_multiplier(
            index, config.schedule, config.warmup_steps, total_steps
        ),
    )

    checkpoint_dir = Path(checkpoint_dir)
    main = distributed.is_main_process()
    checkpoint = _checkpoint_to_resume(checkpoint_dir, identity, resume) if main else None
    checkpoint = distributed.broadcast_object(checkpoint)
    if checkpoint is None:
        _seed_everything(config.seed)
        progress = _Progress()
    else:
        progress = _restore(checkpoint, model, optimizer, scheduler)

    device = parameters[0].device
    trained = distributed.wrap_model(model)
    trained.train()
    window: dict[str, Tensor] = {}
    window_steps = 0
    batches = _batch_schedule(
        len(sentences), config.batch_size, config.seed, progress.epoch, progress.position_in_epoch
    )
    with tqdm(
        total=total_steps,
        initial=progress.global_step,
        desc=description,
        unit="step",
        disable=not main,
    ) as bar:
        while progress.global_step < total_steps:
            epoch, start, indices = next(batches)
            if distributed.world_size() > 1:
                _seed_everything(_rank_step_seed(config.seed, progress.global_step))
            local = distributed.local_slice(indices)
            batch = collate_fn([sentences[index] for index in local.tolist()])
            batch = {name: _to_device(value, device) for name, value in batch.items()}
            terms, learning_rate = _optimisation_step(
                trained, batch, loss_fn, optimizer, scheduler, parameters, config
            )
            for name, value in terms.items():
                window[name] = window.get(name, 0.0) + value
            window_steps += 1
            progress.global_step += 1
            end = start + len(indices)
            progress.epoch, progress.position_in_epoch = (
                (epoch + 1, 0) if end >= len(sentences) else (epoch, end)
            )
            bar.update()
            step, last = progress.global_step, progress.global_step == total_steps

            if step % config.log_every == 0 or last:
                progress.last_metrics = _mean_metrics(window, window_steps, step)
                progress.last_metrics["learning_rate"] = learning_rate
                progress.metric_history.append({"step": step, **progress.last_metrics})
                if log_metrics is not None and main:
                    log_metrics(dict(progress.last_metrics), step)
                window, window_steps = {}, 0
                bar.set_postfix(_postfix(progress))
            if evaluate_fn is not None and (step % config.eval_every == 0 or last):
                _evaluate(model, evaluate_fn, save_best_fn, log_metrics, progress)
                bar.set_postfix(_postfix(progress))
            if main and (step % config.checkpoint_every == 0 or last):
                _save(checkpoint_dir, model, optimizer, scheduler, progress, identity)
    distributed.barrier()  # every file of rank 0 is written when any rank returns
    return TrainingResult(
        global_step=progress.global_step,
        best_score=progress.best_score,
        best_step=progress.best_step,
        last_metrics=dict(progress.last_metrics),
        dev_history=list(progress.dev_history),
        metric_history=list(progress.metric_history),
    )


def compute_gradients(
    model: torch.nn.Module, batch: dict[str, Any], loss_fn: LossFunction, bf16: bool = False
) -> dict[str, Tensor]:
    """Zero the gradients, evaluate ``loss_fn(model, batch)`` and backpropagate its "loss".

    The forward pass and the loss run under bfloat16 autocast when ``bf16`` (on the device
    type of the model's first trainable parameter). Returns the loss terms.

    Under a process group of W ranks, ``model`` is wrapped in DDP, ``batch`` is this rank's
    slice and the "loss" L is that of the whole global batch (the same on every rank); the
    gradient reaches this rank's rows only: g_r = sum_{i in slice r} (dL/de_i)(de_i/dtheta).
    The backward pass runs on W * L, and DDP averages over the ranks, so every rank ends with
    (1/W) sum_r W g_r = sum_r g_r = dL/dtheta: the gradient of one process on the global batch.
    """
    model.zero_grad(set_to_none=True)
    device_type = next(p for p in model.parameters() if p.requires_grad).device.type
    with torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
        terms = loss_fn(model, batch)
    if "loss" not in terms:
        raise ValueError(
            f"loss_fn must return a dict with a 'loss' entry (the total), got {sorted(terms)}"
        )
    size = distributed.world_size()
    (terms["loss"] * size if size > 1 else terms["loss"]).backward()
    return terms


def _optimisation_step(
    model: torch.nn.Module,
    batch: dict[str, Any],
    loss_fn: LossFunction,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    parameters: list[torch.nn.Parameter],
    config: TrainingConfig,
) -> tuple[dict[str, Tensor], float]:
    """One update; returns the detached loss terms (and grad norm) and the lr it used."""
    terms = compute_gradients(model, batch, loss_fn, config.bf16)
    metrics = {name: torch.as_tensor(value).detach().float() for name, value in terms.items()}
    if config.max_grad_norm is not None:
        metrics["grad_norm"] = torch.nn.utils.clip_grad_norm_(parameters, config.max_grad_norm)
    learning_rate = optimizer.param_groups[0]["lr"]
    optimizer.step()
    scheduler.step()
    return metrics, learning_rate


def _mean_metrics(window: dict[str, Tensor], steps: int, step: int) -> dict[str, float]:
    """Means over the logging window; a non-finite loss stops the run."""
    means = {name: float(total) / steps for name, total in window.items()}
    if not math.isfinite(means["loss"]):
        raise FloatingPointError(
            f"training loss is {means['loss']} in steps {step - steps + 1}..{step}: "
            "lower the learning rate or check the data"
        )
    return means


def _evaluate(
    model: torch.nn.Module,
    evaluate_fn: Callable[[], float],
    save_best_fn: Callable[[float, int], None] | None,
    log_metrics: MetricsLogger | None,
    progress: _Progress,
) -> None:
    """Score on rank 0 (evaluation runs once), share the score, keep the best on rank 0."""
    main = distributed.is_main_process()
    score = None
    if main:
        model.eval()
        with torch.no_grad():
            score = float(evaluate_fn())
        model.train()
    score = distributed.broadcast_object(score)
    step = progress.global_step
    progress.dev_history.append((step, score))
    if log_metrics is not None and main:
        log_metrics({"dev_score": score}, step)
    if not math.isnan(score) and (progress.best_score is None or score > progress.best_score):
        progress.best_score, progress.best_step = score, step
        if save_best_fn is not None and main:
            save_best_fn(score, step)


def _check_split_between_processes(
    config: TrainingConfig, num_sentences: int, total_steps: int
) -> None:
    """Every rank must get a non-empty, equal slice of each full global batch."""
    size = distributed.world_size()
    if size == 1:
        return
    if config.batch_size % size:
        raise ValueError(
            f"batch_size ({config.batch_size}) must be a multiple of the number of processes "
            f"({size}): each process takes an equal slice of every global batch"
        )
    last_batch = num_sentences % config.batch_size
    if 0 < last_batch < size and total_steps >= math.ceil(num_sentences / config.batch_size):
        raise ValueError(
            f"the last batch of each epoch holds {last_batch} of the {num_sentences} sentences, "
            f"fewer than the {size} processes: change the number of sentences or batch_size"
        )


def _rank_step_seed(seed: int, step: int) -> int:
    """The seed of this rank at ``step`` of a multi-process run: a 32-bit word drawn by
    NumPy's SeedSequence from (seed, rank, step), independent between ranks and steps."""
    return int(np.random.SeedSequence([seed, distributed.rank(), step]).generate_state(1)[0])


def _postfix(progress: _Progress) -> dict[str, str]:
    postfix = {}
    if "loss" in progress.last_metrics:
        postfix["loss"] = f"{progress.last_metrics['loss']:.4f}"
    if progress.best_score is not None:
        postfix["best_dev"] = f"{progress.best_score:.4f}"
    return postfix


def _batch_schedule(
    num_sentences: int, batch_size: int, seed: int, epoch: int, position: int
) -> Iterator[tuple[int, int, Tensor]]:
    """Endless ``(epoch, start, sentence indices)`` from data position (epoch, position)."""
    while True:
        order = epoch_permutation(num_sentences, seed, epoch)
        for start in range(position, num_sentences, batch_size):
            yield epoch, start, order[start : start + batch_size]
        epoch, position = epoch + 1, 0


def _adamw(parameters: list[torch.nn.Parameter], config: TrainingConfig) -> torch.optim.AdamW:
    groups = [
        {"params": [p for p in parameters if p.ndim >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW([group for group in groups if group["params"]], config.learning_rate)


def _to_device(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, Tensor) else value


def _run_identity(
    config: TrainingConfig, sentences: Sequence[str], extra_fingerprint: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What must be equal for a checkpoint to be resumed, as a JSON-normalised dict: the
    config, the corpus (size and sha256 of its text) and ``extra_fingerprint``."""
    identity = {
        name: value
        for name, value in asdict(config).items()
        if name not in RESUME_INDEPENDENT_FIELDS
    }
    identity["num_sentences"] = len(sentences)
    identity["corpus_sha256"] = _corpus_digest(sentences)
    for name, value in (extra_fingerprint or {}).items():
        identity[f"extra_fingerprint.{name}"] = value
    try:
        return json.loads(json.dumps(identity, sort_keys=True))
    except TypeError as error:
        raise ValueError(
            f"config and extra_fingerprint must be JSON-serialisable: {error}"
        ) from error


def _corpus_digest(sentences: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update(sentence.encode("utf-8") + b"\n")
    return digest.hexdigest()


def _fingerprint(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _save(
    checkpoint_dir: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    progress: _Progress,
    identity: dict[str, Any],
) -> None:
    write_checkpoint(
        checkpoint_dir,
        progress.global_step,
        objects={
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": _rng_state(),
        },
        metadata={
            "progress": asdict(progress),
            "config": identity,
            "config_fingerprint": _fingerprint(identity),
        },
    )


def _checkpoint_to_resume(
    checkpoint_dir: Path, identity: dict[str, Any], resume: bool
) -> Checkpoint | None:
    """Tidy ``checkpoint_dir`` and read the checkpoint to resume from, if any.

    Leftover temporary directories are deleted, and every checkpoint when not ``resume``. A
    checkpoint of another configuration (a changed parameter, as after editing
    ``parameters_*.yml`` before ``dvc repro``) is stale: it is deleted, with a warning naming
    the differences, and None is returned so that training starts over.
    """
    remove_temporary_dirs(checkpoint_dir)
    if not resume:
        remove_checkpoints(checkpoint_dir)
    path = latest_checkpoint(checkpoint_dir)
    if path is None:
        return None
    objects, metadata = read_checkpoint(path)
    missing = {"model", "optimizer", "scheduler", "rng"} - objects.keys()
    if missing or "progress" not in metadata:
        raise CorruptCheckpointError(f"checkpoint {path} is not a training checkpoint")
    if metadata.get("config_fingerprint") != _fingerprint(identity):
        saved = metadata.get("config", {})
        differences = "; ".join(
            f"{name}: checkpoint {saved.get(name, '<absent>')!r}, now "
            f"{identity.get(name, '<absent>')!r}"
            for name in sorted(saved.keys() | identity.keys())
            if saved.get(name) != identity.get(name)
        )
        LOGGER.warning(
            "checkpoint %s was made with a different training configuration (%s): starting over",
            path,
            differences,
        )
        remove_checkpoints(checkpoint_dir)
        return None
    LOGGER.info("resuming from step %d: %s", metadata["progress"]["global_step"], path)
    return objects, metadata


def _restore(
    checkpoint: Checkpoint,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> _Progress:
    """Load a checkpoint into the model, optimizer, scheduler and RNGs; return its progress."""
    objects, metadata = checkpoint
    model.load_state_dict(objects["model"])
    optimizer.load_state_dict(objects["optimizer"])
    scheduler.load_state_dict(objects["scheduler"])
    _restore_rng_state(objects["rng"])
    progress = _Progress(**metadata["progress"])
    progress.dev_history = [(step, score) for step, score in progress.dev_history]
    return progress


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    _, key, position, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (torch.from_numpy(key.astype(np.int64)), position, has_gauss, cached_gaussian),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    key, position, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state(
        ("MT19937", key.numpy().astype(np.uint32), position, has_gauss, cached_gaussian)
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _require_integer(name: str, value: Any, minimum: int, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        allowed = f"an integer >= {minimum}" + (" or None" if optional else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _require_real(name: str, value: Any, positive: bool, optional: bool = False) -> None:
    if optional and value is None:
        return
    valid = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
        and (value > 0 if positive else value >= 0)
    )
    if not valid:
        allowed = "a finite number " + ("> 0" if positive else ">= 0")
        raise ValueError(
            f"{name} must be {allowed}" + (" or None" if optional else "") + f", got {value!r}"
        )
