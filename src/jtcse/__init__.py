"""jtcse: JTCSE sentence embeddings (towers, cross-attention joint training, distillation).

The public API loads lazily (PEP 562): ``import jtcse`` imports no torch, and each name below
imports its module on first use. Example::

    import jtcse

    encoder = jtcse.load_encoder(["data/06_models/student"])
    vectors = encoder.encode(["A man plays a guitar.", "Someone is playing music."])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Encoder": "jtcse.encoding",
    "CoupledTwinEncoder": "jtcse.encoding",
    "load_encoder": "jtcse.encoding",
    "TrainingConfig": "jtcse.training.config",
    "TowerSettings": "jtcse.training.settings",
    "JointSettings": "jtcse.training.settings",
    "DistillationSettings": "jtcse.training.settings",
    "DistributedSettings": "jtcse.training.settings",
    "train": "jtcse.training.loop",
    "train_tower": "jtcse.training.towers",
    "train_joint": "jtcse.training.joint",
    "train_student": "jtcse.training.distillation",
    "launch": "jtcse.training.launcher",
    "validate_parameters": "jtcse.parameters",
}
__all__ = [
    "CoupledTwinEncoder",
    "DistillationSettings",
    "DistributedSettings",
    "Encoder",
    "JointSettings",
    "TowerSettings",
    "TrainingConfig",
    "launch",
    "load_encoder",
    "train",
    "train_joint",
    "train_student",
    "train_tower",
    "validate_parameters",
]

if TYPE_CHECKING:
    from jtcse.encoding import CoupledTwinEncoder, Encoder, load_encoder
    from jtcse.parameters import validate_parameters
    from jtcse.training.config import TrainingConfig
    from jtcse.training.distillation import train_student
    from jtcse.training.joint import train_joint
    from jtcse.training.launcher import launch
    from jtcse.training.loop import train
    from jtcse.training.settings import (
        DistillationSettings,
        DistributedSettings,
        JointSettings,
        TowerSettings,
    )
    from jtcse.training.towers import train_tower


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'jtcse' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
