"""Settings and results of one training run: :class:`TrainingConfig` (the optimisation
settings), the learning-rate schedule, :class:`TrainingResult` and its training curve (the
metric history as one table, for DVC plots and reports). Imports no torch."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from jtcse.field_checks import (
    check_bf16_setting,
    require_choice,
    require_integer,
    require_real,
)

SCHEDULES = ("constant", "linear")
WEIGHT_DECAY_SCOPES = ("matrices", "all")
DEV_SCORE = "dev_score"


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
        weight_decay: AdamW decoupled weight decay (see ``weight_decay_scope``).
        weight_decay_scope: "matrices": decay parameters with >= 2 dimensions only (not
            biases and LayerNorm weights, as the Hugging Face Trainer does); "all": every
            parameter, as ``torch.optim.AdamW`` over ``model.parameters()`` does (the authors'
            scripts).
        schedule: "constant" or "linear" (linear decay to the end, see
            :func:`learning_rate_multiplier`), both after ``warmup_steps`` of linear warm-up.
        warmup_steps: Steps of linear warm-up from lr/warmup_steps to lr.
        max_grad_norm: Clip the global L2 norm of the gradient to this (None: no clipping).
        bf16: Run the forward pass and loss under bfloat16 autocast (weights stay float32):
            true, false or "auto" (bfloat16 where the device has it natively, see
            :mod:`jtcse.modeling.precision`; :func:`~jtcse.training.loop.train` resolves it).
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
    weight_decay_scope: str = "matrices"
    schedule: str = "constant"
    warmup_steps: int = 0
    max_grad_norm: float | None = 1.0
    bf16: bool | str = False
    seed: int = 42
    eval_every: int = 100
    log_every: int = 10
    checkpoint_every: int = 100

    def __post_init__(self) -> None:
        require_real("learning_rate", self.learning_rate, strict=True)
        require_integer("batch_size", self.batch_size, minimum=1)
        require_integer("num_epochs", self.num_epochs, minimum=1, optional=True)
        require_integer("max_steps", self.max_steps, minimum=1, optional=True)
        if self.num_epochs is None and self.max_steps is None:
            raise ValueError("num_epochs and max_steps are both None: set at least one")
        require_real("weight_decay", self.weight_decay)
        require_choice("weight_decay_scope", self.weight_decay_scope, WEIGHT_DECAY_SCOPES)
        require_choice("schedule", self.schedule, SCHEDULES)
        require_integer("warmup_steps", self.warmup_steps, minimum=0)
        require_real("max_grad_norm", self.max_grad_norm, strict=True, optional=True)
        check_bf16_setting(self.bf16)
        require_integer("seed", self.seed, minimum=0)
        if self.seed >= 2**32:
            raise ValueError(f"seed must be below 2**32; got {self.seed!r}")
        for name in ("eval_every", "log_every", "checkpoint_every"):
            require_integer(name, getattr(self, name), minimum=1)


def count_training_steps(config: TrainingConfig, num_sentences: int) -> int:
    """Optimiser steps of a run: min(num_epochs * ceil(num_sentences / batch_size), max_steps)."""
    require_integer("num_sentences", num_sentences, minimum=1)
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
    require_choice("schedule", schedule, SCHEDULES)
    update = update_index + 1
    if update <= warmup_steps:
        return update / warmup_steps
    if schedule == "linear":
        return max(0.0, (total_steps - update + 1) / (total_steps - warmup_steps))
    return 1.0


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


def training_curve(result: TrainingResult) -> pd.DataFrame:
    """One row per step that logged training metrics or was evaluated on the dev split.

    Columns: ``step``, ``loss``, then the other logged training metrics in name order (each
    loss term averaged over the steps since the previous log, ``learning_rate``,
    ``grad_norm`` when clipping), then ``dev_score`` (the STS-B dev Spearman x 100). A metric
    not measured at a step is NaN. The order does not depend on whether the run resumed.
    """
    logged = pd.DataFrame(result.metric_history, columns=_columns(result))
    evaluated = pd.DataFrame(result.dev_history, columns=["step", DEV_SCORE])
    curve = logged.merge(evaluated, on="step", how="outer") if len(evaluated) else logged
    if DEV_SCORE not in curve:
        curve[DEV_SCORE] = float("nan")
    curve["step"] = curve["step"].astype(int)
    return curve.sort_values("step", ignore_index=True)


def _columns(result: TrainingResult) -> list[str]:
    names = {name for row in result.metric_history for name in row} - {"step", "loss"}
    return ["step", "loss", *sorted(names)]
