"""What makes a run resumable (jtcse.training.resume) on its own: the run identity and its
fingerprint, the checkpoint round trip of model, optimiser, scheduler, progress and RNGs, and
which checkpoints are resumed, discarded or refused. A small real model and optimiser, no
training loop (tests/training/test_loop.py resumes whole runs)."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import asdict

import numpy as np
import pytest
import torch

from jtcse.training.checkpoints import CorruptCheckpointError, latest_checkpoint, write_checkpoint
from jtcse.training.config import TrainingConfig
from jtcse.training.resume import (
    Progress,
    checkpoint_to_resume,
    corpus_digest,
    fingerprint,
    rank_step_seed,
    restore,
    rng_state,
    run_identity,
    save_checkpoint,
    seed_everything,
)

SENTENCES = ["a first sentence", "une deuxième phrase", ""]
CONFIG = TrainingConfig(learning_rate=1e-3, batch_size=2, log_every=5, checkpoint_every=7)


def test_the_identity_is_the_config_but_logging_and_the_corpus_and_the_extras():
    identity = run_identity(CONFIG, SENTENCES, {"model": "bert", "layers": (1, 2)})

    expected = {
        k: v for k, v in asdict(CONFIG).items() if k not in ("log_every", "checkpoint_every")
    }
    expected |= {
        "num_sentences": 3,
        "corpus_sha256": corpus_digest(SENTENCES),
        "extra_fingerprint.model": "bert",
        "extra_fingerprint.layers": [1, 2],  # JSON-normalised
    }
    assert identity == expected
    assert run_identity(CONFIG, SENTENCES, None) == run_identity(CONFIG, SENTENCES, {})
    other_logging = TrainingConfig(
        learning_rate=1e-3, batch_size=2, log_every=1, checkpoint_every=1
    )
    assert run_identity(other_logging, SENTENCES, None) == run_identity(CONFIG, SENTENCES, None)


def test_an_identity_that_is_not_json_is_refused():
    with pytest.raises(ValueError) as error:
        run_identity(CONFIG, SENTENCES, {"model": object()})
    assert str(error.value).startswith(
        "config and extra_fingerprint must be JSON-serialisable: Object of type object"
    )


def test_corpus_digest_and_fingerprint_are_sha256s():
    text = "a first sentence\nune deuxième phrase\n\n".encode()
    assert corpus_digest(SENTENCES) == hashlib.sha256(text).hexdigest()
    assert corpus_digest(["ab", "c"]) != corpus_digest(["a", "bc"])
    identity = {"b": 1, "a": [2, 3]}
    expected = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    assert fingerprint(identity) == expected == fingerprint({"a": [2, 3], "b": 1})


def _training_state(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / (step + 1))
    return model, optimizer, scheduler


def _step(model, optimizer, scheduler) -> None:
    model(torch.randn(5, 4)).square().sum().backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_a_checkpoint_restores_model_optimiser_scheduler_progress_and_rngs(tmp_path):
    model, optimizer, scheduler = _training_state()
    for _ in range(3):
        _step(model, optimizer, scheduler)
    progress = Progress(
        global_step=3,
        epoch=1,
        position_in_epoch=2,
        best_score=71.5,
        best_step=2,
        dev_history=[(1, 70.0), (2, 71.5)],
        last_metrics={"loss": 0.5},
        metric_history=[{"step": 2.0, "loss": 0.5}],
    )
    identity = run_identity(CONFIG, SENTENCES, None)
    seed_everything(5)
    save_checkpoint(tmp_path, model, optimizer, scheduler, progress, identity)
    expected_draws = _draws()
    _step(model, optimizer, scheduler)  # moves on: the restore must bring everything back

    checkpoint = checkpoint_to_resume(tmp_path, identity, resume=True)
    new_model, new_optimizer, new_scheduler = _training_state(seed=1)
    restored = restore(checkpoint, new_model, new_optimizer, new_scheduler)

    assert restored == progress
    assert all(isinstance(entry, tuple) for entry in restored.dev_history)
    assert _draws() == expected_draws
    assert new_scheduler.last_epoch == 3 and new_scheduler.get_last_lr() == [0.1 / 4]
    assert new_optimizer.state_dict()["state"][0]["step"] == 3
    _, metadata = checkpoint
    assert metadata["config"] == identity and metadata["config_fingerprint"] == fingerprint(
        identity
    )
    # the restored state trains on exactly as the original did from the same point
    reference, reference_optimizer, reference_scheduler = _training_state()
    for _ in range(3):
        _step(reference, reference_optimizer, reference_scheduler)
    torch.manual_seed(9)
    _step(reference, reference_optimizer, reference_scheduler)
    torch.manual_seed(9)
    _step(new_model, new_optimizer, new_scheduler)
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(new_model.state_dict()[name], value, rtol=0, atol=0)


def test_the_rng_state_holds_python_numpy_and_torch():
    seed_everything(3)
    state = rng_state()
    assert set(state) == {"python", "numpy", "torch"} | (
        {"cuda"} if torch.cuda.is_available() else set()
    )
    assert state["numpy"][0].dtype == torch.int64 and state["numpy"][0].shape == (624,)


def test_seed_everything_seeds_python_numpy_and_torch():
    seed_everything(11)
    first = _draws()
    random.seed(11)
    np.random.seed(11)
    torch.manual_seed(11)
    assert _draws() == first
    seed_everything(12)
    assert _draws() != first


def test_rank_step_seed_is_a_seed_sequence_word_of_seed_rank_and_step():
    words = {rank_step_seed(seed, step) for seed in (1, 2) for step in (0, 1, 2)}
    assert len(words) == 6
    assert rank_step_seed(1, 2) == int(np.random.SeedSequence([1, 0, 2]).generate_state(1)[0])
    assert 0 <= rank_step_seed(1, 2) < 2**32


def _save(directory, identity, step: int = 3):
    model, optimizer, scheduler = _training_state()
    save_checkpoint(directory, model, optimizer, scheduler, Progress(global_step=step), identity)


def test_without_resume_or_a_checkpoint_training_starts_over(tmp_path):
    identity = run_identity(CONFIG, SENTENCES, None)
    assert checkpoint_to_resume(tmp_path / "none", identity, resume=True) is None
    _save(tmp_path, identity)
    leftover = tmp_path / ".tmp-leftover"
    leftover.mkdir()

    assert checkpoint_to_resume(tmp_path, identity, resume=False) is None

    assert list(tmp_path.iterdir()) == []


def test_the_latest_matching_checkpoint_is_resumed_with_a_log_line(tmp_path, caplog):
    identity = run_identity(CONFIG, SENTENCES, None)
    _save(tmp_path, identity, step=4)
    path = latest_checkpoint(tmp_path)
    (tmp_path / ".tmp-crashed-write").mkdir()
    with caplog.at_level(logging.INFO, logger="jtcse.training.resume"):
        checkpoint = checkpoint_to_resume(tmp_path, identity, resume=True)
    assert checkpoint[1]["progress"]["global_step"] == 4
    assert caplog.messages == [f"resuming from step 4: {path}"]
    assert sorted(tmp_path.iterdir()) == [path]  # kept; the crashed write's leftover removed


def test_a_checkpoint_of_another_identity_is_deleted_naming_the_differences(tmp_path, caplog):
    saved = {"learning_rate": 0.001, "seed": 1, "only_then": True}
    now = {"learning_rate": 0.002, "seed": 1, "only_now": "x"}
    _save(tmp_path, saved)
    path = latest_checkpoint(tmp_path)

    with caplog.at_level(logging.WARNING, logger="jtcse.training.resume"):
        assert checkpoint_to_resume(tmp_path, now, resume=True) is None

    assert caplog.messages == [
        f"checkpoint {path} was made with a different training configuration (learning_rate: "
        "checkpoint 0.001, now 0.002; only_now: checkpoint '<absent>', now 'x'; only_then: "
        "checkpoint True, now '<absent>'): starting over"
    ]
    assert latest_checkpoint(tmp_path) is None


@pytest.mark.parametrize("missing", ["model", "optimizer", "scheduler", "rng", "progress"])
def test_a_checkpoint_without_training_state_is_refused(tmp_path, missing):
    identity = {"seed": 1}
    objects = {name: {"x": torch.zeros(1)} for name in ("model", "optimizer", "scheduler", "rng")}
    metadata = {
        "progress": asdict(Progress()),
        "config": identity,
        "config_fingerprint": fingerprint(identity),
    }
    objects.pop(missing, None)
    metadata.pop(missing, None)
    path = write_checkpoint(tmp_path, 2, objects, metadata)

    with pytest.raises(CorruptCheckpointError) as error:
        checkpoint_to_resume(tmp_path, identity, resume=True)
    assert str(error.value) == f"checkpoint {path} is not a training checkpoint"


def test_a_checkpoint_without_a_recorded_config_is_stale(tmp_path, caplog):
    objects = {name: {"x": torch.zeros(1)} for name in ("model", "optimizer", "scheduler", "rng")}
    path = write_checkpoint(tmp_path, 2, objects, {"progress": asdict(Progress())})

    with caplog.at_level(logging.WARNING, logger="jtcse.training.resume"):
        assert checkpoint_to_resume(tmp_path, {"seed": 1}, resume=True) is None

    assert caplog.messages == [
        f"checkpoint {path} was made with a different training configuration (seed: "
        "checkpoint '<absent>', now 1): starting over"
    ]
    assert latest_checkpoint(tmp_path) is None
