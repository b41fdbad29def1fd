"""Training: the loop shared by every stage, its settings, resumable checkpoints, several
processes, and the three stages of docs/method.md#stages (towers, joint training, distillation).

The public names below load lazily (PEP 562), so that importing the torch-free settings
(:mod:`jtcse.training.settings`, :mod:`jtcse.training.config`) imports no torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "TrainingConfig": "config",
    "TrainingResult": "config",
    "count_training_steps": "config",
    "learning_rate_multiplier": "config",
    "training_curve": "config",
    "TowerSettings": "settings",
    "JointSettings": "settings",
    "DistillationSettings": "settings",
    "DistributedSettings": "settings",
    "sentence_collator": "batching",
    "epoch_permutation": "batching",
    "train": "loop",
    "compute_gradients": "loop",
    "mlflow_metrics_logger": "loop",
    "LossFunction": "loop",
    "launch": "launcher",
    "train_tower": "towers",
    "tower_loss": "towers",
    "train_joint": "joint",
    "joint_training_loss": "joint",
    "train_student": "distillation",
    "teacher_embeddings": "distillation",
    "student_loss": "distillation",
}
__all__ = [
    "DistillationSettings",
    "DistributedSettings",
    "JointSettings",
    "LossFunction",
    "TowerSettings",
    "TrainingConfig",
    "TrainingResult",
    "compute_gradients",
    "count_training_steps",
    "epoch_permutation",
    "joint_training_loss",
    "launch",
    "learning_rate_multiplier",
    "mlflow_metrics_logger",
    "sentence_collator",
    "student_loss",
    "teacher_embeddings",
    "tower_loss",
    "train",
    "train_joint",
    "train_student",
    "train_tower",
    "training_curve",
]

if TYPE_CHECKING:
    from jtcse.training.batching import epoch_permutation, sentence_collator
    from jtcse.training.config import (
        TrainingConfig,
        TrainingResult,
        count_training_steps,
        learning_rate_multiplier,
        training_curve,
    )
    from jtcse.training.distillation import student_loss, teacher_embeddings, train_student
    from jtcse.training.joint import joint_training_loss, train_joint
    from jtcse.training.launcher import launch
    from jtcse.training.loop import LossFunction, compute_gradients, mlflow_metrics_logger, train
    from jtcse.training.settings import (
        DistillationSettings,
        DistributedSettings,
        JointSettings,
        TowerSettings,
    )
    from jtcse.training.towers import tower_loss, train_tower


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'jtcse.training' has no attribute {name!r}")
    return getattr(importlib.import_module(f"jtcse.training.{_EXPORTS[name]}"), name)
