"""The one training loop shared by tower training, JTCSE joint training and distillation.

The loop is generic: it optimises ``model`` with AdamW on the scalar ``loss_fn(model, batch)
["loss"]`` over batches of sentences, and knows nothing about towers or losses. Per step::

    batch   = collate_fn([sentences[i] for i in next batch of the epoch's permutation])
    terms   = loss_fn(model, batch)               # under bf16 autocast if config.bf16
    terms["loss"].backward(); clip the gradient norm to max_grad_norm; AdamW step; lr step

(on W processes: each collates its slice of the batch and backpropagates W * loss).

Every ``log_every`` steps the mean of every loss term (and of the gradient norm) over the
steps since the last log, plus the current learning rate, go to ``log_metrics``, with
``tokens_per_second``: the real (non-padding) tokens this process fed the model per wall
second since the last log (also on the progress bar; a wall-clock rate, so it stays out of
the run's metric history). Every ``eval_every`` steps and at the end, ``evaluate_fn()``
gives the STS-B dev Spearman (higher is better), or a mapping whose ``dev_score`` is the
score and whose other entries are logged with it at that step; an improvement calls
``save_best_fn(score, step)``. Model selection must
only ever see a dev split: the caller's ``evaluate_fn`` must never score a test split.
Every ``checkpoint_every`` steps and at the end an atomic checkpoint (model, optimizer,
scheduler, RNG states, data position, best score, config fingerprint) replaces the previous
one (see :mod:`jtcse.training.checkpoints`); ``train(..., resume=True)`` continues from it and ends
with the same weights as an uninterrupted run. A checkpoint of another configuration is
stale: it is deleted with a warning and training starts over. On SIGTERM (a scheduler's or
a spot instance's notice) the loop finishes its step, writes a checkpoint and raises
:class:`~jtcse.training.preemption.TrainingPreempted`; a rerun resumes there.

Long runs compile the model (``torch.compile``, forward and backward, inductor's RNG swapped
for eager's so dropout draws the same masks): with ``compile`` (or ``$JTCSE_COMPILE``) ``auto``
a run of at least :data:`~jtcse.modeling.compiling.TRAIN_BREAK_EVEN_STEPS` steps still to go,
``on`` every run, ``off`` none (:mod:`jtcse.modeling.compiling` states the break-even). The
compiled module shares the model's parameters; evaluation, checkpoints and the saved folders
use the model itself. The MLflow tag ``<description>.compiled`` records what ran.

Frozen parts that must stay in eval mode (a distillation teacher) belong in ``loss_fn``'s
closure, not inside ``model``: the loop calls ``model.train()``.

Several processes (``torchrun``, :func:`jtcse.training.launcher.launch`; see
:mod:`jtcse.training.distributed`):
``config.batch_size`` stays the global batch, so a configuration sees the same batches and
gets the same gradients on any number of processes W (only the dropout masks differ). Rank r
collates its contiguous slice of each global batch of the same epoch permutation, ``model``
is wrapped in DistributedDataParallel (which averages the gradients), and ``loss_fn`` must
return the loss of the whole global batch, gathering the embeddings of all ranks with
:func:`jtcse.training.distributed.gather_with_local_gradient` (:func:`compute_gradients`
explains why the gradient is then the single-process one). Rank 0 alone evaluates (its score
is broadcast), saves the best model, logs metrics, shows the progress bar and writes
checkpoints, in the 1-process format; on resume it reads the checkpoint and sends it to every
rank. Each rank reseeds Python, NumPy and torch at every step from (seed, rank, step), so ranks
draw different dropout masks and augmentations and a resumed run still ends like an
uninterrupted one.

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

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from tqdm import tqdm

from jtcse.modeling.compiling import TRAIN_BREAK_EVEN_STEPS, compile_for_training, should_compile
from jtcse.modeling.precision import resolve_bf16
from jtcse.tracking import log_metrics, set_tags
from jtcse.training import distributed
from jtcse.training.batching import batch_schedule
from jtcse.training.config import (
    TrainingConfig,
    TrainingResult,
    count_training_steps,
    learning_rate_multiplier,
)
from jtcse.training.preemption import TrainingPreempted, stop_requests
from jtcse.training.resume import (
    Progress,
    checkpoint_to_resume,
    rank_step_seed,
    restore,
    run_identity,
    save_checkpoint,
    seed_everything,
)

LossFunction = Callable[[torch.nn.Module, dict[str, Tensor]], dict[str, Tensor]]
MetricsLogger = Callable[[dict[str, float], int], None]
# What ``evaluate_fn`` returns: the dev score, or {"dev_score": score, other metrics...}
Evaluation = float | Mapping[str, float]


def train(
    model: torch.nn.Module,
    sentences: Sequence[str],
    collate_fn: Callable[[list[str]], dict[str, Tensor]],
    loss_fn: LossFunction,
    config: TrainingConfig,
    checkpoint_dir: Path,
    evaluate_fn: Callable[[], Evaluation] | None = None,
    save_best_fn: Callable[[float, int], None] | None = None,
    log_metrics: MetricsLogger | None = None,
    resume: bool = True,
    description: str = "train",
    extra_fingerprint: Mapping[str, Any] | None = None,
    compile: str | None = None,
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
        evaluate_fn: Returns the dev score (higher is better; NaN never counts as best), or
            a mapping with the score as ``dev_score`` and other metrics to log beside it.
            Called in eval mode under ``torch.no_grad()``; must not look at test splits.
        save_best_fn: Called as ``save_best_fn(score, step)`` when the dev score improves.
        log_metrics: Receives ``(metrics, step)``: the training terms, "learning_rate",
            "tokens_per_second", "grad_norm" (before clipping; only with clipping), and
            {"dev_score": score} with the other entries of a mapping ``evaluate_fn`` returns.
        resume: Continue from the latest checkpoint in ``checkpoint_dir`` if there is one
            (it must come from the same configuration); False deletes it and starts over.
        description: Label of the progress bar.
        extra_fingerprint: JSON-serialisable values that must also match to resume (model
            name, loss weights, corpus digest ...), besides the config and corpus size.
        compile: ``auto``, ``on`` or ``off`` (None: ``$JTCSE_COMPILE``): whether the steps
            run compiled (module docstring).

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
    distributed.check_batch_split(config.batch_size, len(sentences), total_steps)
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if not parameters:
        raise ValueError("model has no parameter with requires_grad=True: nothing to train")
    device = parameters[0].device
    # what runs on this device: a checkpoint resumes only under the same precision
    config = replace(config, bf16=resolve_bf16(config.bf16, f"{description}: bf16", device))
    identity = run_identity(config, sentences, extra_fingerprint)
    optimizer = adamw(parameters, config)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda index: learning_rate_multiplier(
            index, config.schedule, config.warmup_steps, total_steps
        ),
    )

    checkpoint_dir = Path(checkpoint_dir)
    main = distributed.is_main_process()
    checkpoint = checkpoint_to_resume(checkpoint_dir, identity, resume) if main else None
    checkpoint = distributed.broadcast_object(checkpoint)
    if checkpoint is None:
        seed_everything(config.seed)
        progress = Progress()
    else:
        progress = restore(checkpoint, model, optimizer, scheduler)

    trained = distributed.wrap_model(model)
    compiled = should_compile(compile, total_steps - progress.global_step, TRAIN_BREAK_EVEN_STEPS)
    if compiled:
        trained = compile_for_training(trained)
    if main:  # what ran, not what was asked
        ran = {"bf16": config.bf16, "compiled": compiled}
        set_tags({f"{description}.{key}": str(value) for key, value in ran.items()})
    trained.train()
    window: dict[str, Tensor] = {}
    window_steps = 0
    token_rate = _TokenRate()
    batches = batch_schedule(
        len(sentences), config.batch_size, config.seed, progress.epoch, progress.position_in_epoch
    )
    bar = tqdm(
        total=total_steps,
        initial=progress.global_step,
        desc=description,
        unit="step",
        disable=not main,
    )
    with bar, stop_requests() as stop_requested:
        while progress.global_step < total_steps:
            epoch, start, indices = next(batches)
            if distributed.world_size() > 1:
                seed_everything(rank_step_seed(config.seed, progress.global_step))
            local = distributed.local_slice(indices)
            batch = collate_fn([sentences[index] for index in local.tolist()])
            token_rate.add(batch)
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
                rate = token_rate.read()
                if log_metrics is not None and main:
                    log_metrics({**progress.last_metrics, "tokens_per_second": rate}, step)
                window, window_steps = {}, 0
                bar.set_postfix(_postfix(progress, rate))
            if evaluate_fn is not None and (step % config.eval_every == 0 or last):
                _evaluate(model, evaluate_fn, save_best_fn, log_metrics, progress)
                bar.set_postfix(_postfix(progress, token_rate.last))
            preempted = distributed.any_rank(stop_requested()) and not last
            if main and (step % config.checkpoint_every == 0 or last or preempted):
                save_checkpoint(checkpoint_dir, model, optimizer, scheduler, progress, identity)
            if preempted:
                distributed.barrier()  # the checkpoint is written before any rank leaves
                raise TrainingPreempted(
                    f"{description}: stopped by SIGTERM after step {step} of {total_steps}; "
                    f"checkpoint written to {checkpoint_dir}, run again to resume from it"
                )
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


def mlflow_metrics_logger(prefix: str = "") -> MetricsLogger:
    """A ``log_metrics`` callable: logs to the active MLflow run, each name prefixed with
    ``prefix``; does nothing without an active run."""

    def log(metrics: dict[str, float], step: int) -> None:
        log_metrics(metrics, prefix, step)

    return log


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
    evaluate_fn: Callable[[], Evaluation],
    save_best_fn: Callable[[float, int], None] | None,
    log_metrics: MetricsLogger | None,
    progress: Progress,
) -> None:
    """Score on rank 0 (evaluation runs once), share the score, keep the best on rank 0."""
    main = distributed.is_main_process()
    score, extra = None, {}
    if main:
        model.eval()
        with torch.no_grad():
            evaluation = evaluate_fn()
        model.train()
        if isinstance(evaluation, Mapping):
            if "dev_score" not in evaluation:
                raise ValueError(
                    f"evaluate_fn returned {sorted(evaluation)}: a mapping needs 'dev_score'"
                )
            extra = {name: float(value) for name, value in evaluation.items()}
            score = extra.pop("dev_score")
        else:
            score = float(evaluation)
    score = distributed.broadcast_object(score)
    step = progress.global_step
    progress.dev_history.append((step, score))
    if log_metrics is not None and main:
        log_metrics({"dev_score": score, **extra}, step)
    if not math.isnan(score) and (progress.best_score is None or score > progress.best_score):
        progress.best_score, progress.best_step = score, step
        if save_best_fn is not None and main:
            save_best_fn(score, step)


def _postfix(progress: Progress, tokens_per_second: float | None) -> dict[str, str]:
    postfix = {}
    if "loss" in progress.last_metrics:
        postfix["loss"] = f"{progress.last_metrics['loss']:.4f}"
    if progress.best_score is not None:
        postfix["best_dev"] = f"{progress.best_score:.4f}"
    if tokens_per_second is not None:
        postfix["tok/s"] = f"{tokens_per_second:,.0f}"
    return postfix


class _TokenRate:
    """Real (non-padding) tokens of the collated batches per wall second between readings."""

    def __init__(self) -> None:
        self.tokens, self.since, self.last = 0, time.perf_counter(), None

    def add(self, batch: Mapping[str, Any]) -> None:
        """Count the ones of the batch's ``attention_mask`` (a batch without one counts 0)."""
        mask = batch.get("attention_mask")
        if isinstance(mask, Tensor):
            self.tokens += int(mask.sum())

    def read(self) -> float:
        """The rate since the previous reading (or the start), then start counting anew."""
        now = time.perf_counter()
        self.last = self.tokens / max(now - self.since, 1e-9)
        self.tokens, self.since = 0, now
        return self.last


def adamw_parameter_groups(
    parameters: list[torch.nn.Parameter], config: TrainingConfig
) -> list[dict[str, Any]]:
    """AdamW parameter groups: with ``weight_decay_scope`` "matrices", decay on parameters
    with >= 2 dimensions and none on the others; with "all", one group decaying every one."""
    if config.weight_decay_scope == "all":
        return [{"params": parameters, "weight_decay": config.weight_decay}]
    groups = [
        {"params": [p for p in parameters if p.ndim >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]


def adamw(parameters: list[torch.nn.Parameter], config: TrainingConfig) -> torch.optim.AdamW:
    """AdamW over ``parameters`` with ``config``'s learning rate and weight decay
    (:func:`adamw_parameter_groups`), in torch's fused kernel where their device has one (CPU,
    CUDA): one pass over each parameter's value, gradient and moments, several times faster
    than the per-parameter loop on CPU (``benchmarks/train_throughput.py``)."""
    fused = parameters[0].device.type in ("cpu", "cuda")
    groups = adamw_parameter_groups(parameters, config)
    return torch.optim.AdamW(groups, config.learning_rate, fused=fused)


def _to_device(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, Tensor) else value
