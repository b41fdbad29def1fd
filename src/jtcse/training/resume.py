"""What makes a training run resumable: its identity (the settings and corpus that must match
to resume, as a fingerprint), its progress, and the RNG states, saved in the checkpoints of
:mod:`jtcse.training.checkpoints` and read back on resume."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jtcse.training import distributed
from jtcse.training.checkpoints import (
    CorruptCheckpointError,
    latest_checkpoint,
    read_checkpoint,
    remove_checkpoints,
    remove_temporary_dirs,
    write_checkpoint,
)
from jtcse.training.config import TrainingConfig

LOGGER = logging.getLogger(__name__)
# Config fields that change neither the trained weights nor the model selection: a checkpoint
# made with other values of these may be resumed.
RESUME_INDEPENDENT_FIELDS = ("log_every", "checkpoint_every")
Checkpoint = tuple[dict[str, Any], dict[str, Any]]  # (objects, metadata) of a checkpoint


@dataclass
class Progress:
    """Where the run stands; saved as checkpoint metadata."""

    global_step: int = 0
    epoch: int = 0
    position_in_epoch: int = 0
    best_score: float | None = None
    best_step: int | None = None
    dev_history: list[tuple[int, float]] = field(default_factory=list)
    last_metrics: dict[str, float] = field(default_factory=dict)
    metric_history: list[dict[str, float]] = field(default_factory=list)


def run_identity(
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
    identity["corpus_sha256"] = corpus_digest(sentences)
    for name, value in (extra_fingerprint or {}).items():
        identity[f"extra_fingerprint.{name}"] = value
    try:
        return json.loads(json.dumps(identity, sort_keys=True))
    except TypeError as error:
        raise ValueError(
            f"config and extra_fingerprint must be JSON-serialisable: {error}"
        ) from error


def corpus_digest(sentences: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update(sentence.encode("utf-8") + b"\n")
    return digest.hexdigest()


def fingerprint(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def save_checkpoint(
    checkpoint_dir: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    progress: Progress,
    identity: dict[str, Any],
) -> None:
    write_checkpoint(
        checkpoint_dir,
        progress.global_step,
        objects={
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": rng_state(),
        },
        metadata={
            "progress": asdict(progress),
            "config": identity,
            "config_fingerprint": fingerprint(identity),
        },
    )


def checkpoint_to_resume(
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
    if metadata.get("config_fingerprint") != fingerprint(identity):
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


def restore(
    checkpoint: Checkpoint,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> Progress:
    """Load a checkpoint into the model, optimizer, scheduler and RNGs; return its progress."""
    objects, metadata = checkpoint
    model.load_state_dict(objects["model"])
    optimizer.load_state_dict(objects["optimizer"])
    scheduler.load_state_dict(objects["scheduler"])
    restore_rng_state(objects["rng"])
    progress = Progress(**metadata["progress"])
    progress.dev_history = [(step, score) for step, score in progress.dev_history]
    return progress


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def rank_step_seed(seed: int, step: int) -> int:
    """The seed of this rank at ``step`` of a multi-process run: a 32-bit word drawn by
    NumPy's SeedSequence from (seed, rank, step), independent between ranks and steps."""
    return int(np.random.SeedSequence([seed, distributed.rank(), step]).generate_state(1)[0])


def rng_state() -> dict[str, Any]:
    _, key, position, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (torch.from_numpy(key.astype(np.int64)), position, has_gauss, cached_gaussian),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    key, position, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state(
        ("MT19937", key.numpy().astype(np.uint32), position, has_gauss, cached_gaussian)
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
