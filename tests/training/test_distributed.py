"""Training on 2 processes (gloo, CPU) against 1 process on the same global batch.

Each fixture starts 2 worker processes once with :func:`jtcse.training.launcher.launch` (the
torchrun engine); the workers run module-level functions of this file and rank 0 returns what they
measured. The single-process references run here, in the test process. Dropout is 0 wherever
2 processes are compared with 1: the dropout masks of a slice cannot match those of the whole.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from transformers import AutoModel, AutoTokenizer

from jtcse.modeling.twin_tower import TwinTowerModel
from jtcse.training import (
    DistillationSettings,
    DistributedSettings,
    JointSettings,
    TowerSettings,
    TrainingConfig,
    compute_gradients,
    distributed,
    joint_training_loss,
    launch,
    sentence_collator,
    student_loss,
    tower_loss,
    train,
)
from tests.fixtures.training_runs import CORPUS

TWO_PROCESSES = DistributedSettings(num_processes=2)
# The workers are CPU processes on gloo, on GPU machines too (JTCSE_DEVICE=cpu).
pytestmark = pytest.mark.usefixtures("cpu_device")
# Global batch sizes: 8 sentences (4 + 4 per rank), 6 (3 + 3) and 7 (4 + 3, uneven slices).
FAMILY_SENTENCES = {"tower": 8, "joint": 6, "distillation": 7}
NO_DROPOUT = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


def _coin(seed: int) -> int:
    torch.manual_seed(seed)
    return int(torch.randint(1, 3, ()).item())


# Rank r seeds torch with COIN_SEEDS[r] before the joint step: the ranks would draw different
# anchor towers if rank 0's coin were not shared.
COIN_SEEDS = (0, next(seed for seed in range(1, 100) if _coin(seed) != _coin(0)))


# --- what the workers run (module level, so that spawned processes can import it) ----------


def _one_step(
    family: str, paths: tuple[str, str], indices: list[int]
) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
    """Loss terms and parameter gradients of one step of ``family`` on ``CORPUS[indices]``
    (this rank's slice of them under a process group), as the training loop computes them."""
    tokenizer = AutoTokenizer.from_pretrained(paths[0])
    sentences = [CORPUS[index] for index in distributed.local_slice(torch.tensor(indices))]
    if family == "tower":
        model = AutoModel.from_pretrained(paths[0], **NO_DROPOUT)
        batch = sentence_collator(tokenizer, 32, views=2)(sentences)
        loss_fn = tower_loss(TowerSettings(dropout=0.0, length_chunks=2))
    elif family == "joint":
        model = TwinTowerModel.from_towers(*paths, num_cross_attention_layers=1, **NO_DROPOUT)
        batch = sentence_collator(tokenizer, 32, views=2)(sentences)
        loss_fn = joint_training_loss(
            JointSettings(num_cross_attention_layers=1, dropout=0.0, length_chunks=2)
        )
        torch.manual_seed(COIN_SEEDS[distributed.rank()])
    else:
        model = AutoModel.from_pretrained(paths[0], **NO_DROPOUT)
        batch = sentence_collator(tokenizer, 32, views=1)(sentences)
        batch["rows"] = distributed.local_slice(torch.tensor(indices))
        teacher = torch.randn(len(CORPUS), 32, generator=torch.Generator().manual_seed(3))
        loss_fn = student_loss(teacher, DistillationSettings(dropout=0.0, length_chunks=2))
    terms = compute_gradients(distributed.wrap_model(model), batch, loss_fn)
    gradients = {
        name: parameter.grad.clone()
        for name, parameter in model.named_parameters()
        if parameter.grad is not None
    }
    return {name: float(value.detach()) for name, value in terms.items()}, gradients


def _gather_check() -> dict[str, torch.Tensor]:
    """Rank r holds rows of ``_gather_input()`` (3 rows on rank 0, 2 on rank 1); the loss is
    sum(weights * gathered)."""
    full, weights = _gather_input()
    local = distributed.local_slice(torch.arange(len(full)))
    rows = full[local].clone().requires_grad_()
    gathered = distributed.gather_with_local_gradient(rows)
    (gathered * weights).sum().backward()
    return {
        "gathered": gathered.detach(),
        "local_gradient": rows.grad,
        "every_gradient": distributed.gather_with_local_gradient(rows.grad),
    }


def _gather_input() -> tuple[torch.Tensor, torch.Tensor]:
    full = torch.arange(10, dtype=torch.float32).reshape(5, 2)
    return full, torch.linspace(-1.0, 1.0, 10).reshape(5, 2)


def _one_step_worker(paths: tuple[str, str]) -> dict[str, object]:
    results: dict[str, object] = {"gather": _gather_check()}
    for family, size in FAMILY_SENTENCES.items():
        results[family] = _one_step(family, paths, list(range(size)))
    return results


class Interrupted(Exception):
    """Stands in for a crash in the middle of training (raised on every rank at once)."""


def _small_config(**overrides: object) -> TrainingConfig:
    values = {
        "learning_rate": 1e-3,
        "batch_size": 8,
        "num_epochs": 1,
        "eval_every": 2,
        "log_every": 1,
        "checkpoint_every": 2,
    }
    return TrainingConfig(**{**values, **overrides})


def _train_tower_run(
    path: str, folder: Path, dropout: float, stop_at_step: int | None = None
) -> tuple[AutoModel, dict[str, Any]]:
    """A 3-step tower run on ``CORPUS`` (24 sentences, batches of 8): the model, the calls of
    the rank-0-only callbacks, a random number drawn in each step, the steps and the loss of
    each step. ``stop_at_step`` raises :class:`Interrupted` inside that step."""
    model = AutoModel.from_pretrained(
        path, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout
    )
    tokenizer = AutoTokenizer.from_pretrained(path)
    loss = tower_loss(TowerSettings(dropout=dropout, length_chunks=2))
    calls: dict[str, Any] = {"evaluate": 0, "save_best": 0, "log": 0, "loss": 0, "draws": []}

    def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict:
        calls["loss"] += 1
        calls["draws"].append(float(torch.rand(())))  # what dropout draws from
        if calls["loss"] == stop_at_step:
            raise Interrupted
        return loss(model, batch)

    def evaluate() -> float:
        calls["evaluate"] += 1
        return float(model.embeddings.word_embeddings.weight[5].sum())

    def count(name: str):
        return lambda *args: calls.__setitem__(name, calls[name] + 1)

    result = train(
        model,
        CORPUS,
        sentence_collator(tokenizer, 32, views=2),
        loss_fn,
        _small_config(),
        folder,
        evaluate_fn=evaluate,
        save_best_fn=count("save_best"),
        log_metrics=count("log"),
    )
    losses = [metrics["loss"] for metrics in result.metric_history]
    return model, calls | {"steps": result.global_step, "losses": losses}


def _loop_worker(path: str, root: Path) -> dict[str, object]:
    """Resume after a crash, rank-0-only side effects, input checks, and a run without
    dropout to compare with one process."""
    uninterrupted, calls = _train_tower_run(path, root / "uninterrupted", dropout=0.1)
    with contextlib.suppress(Interrupted):
        _train_tower_run(path, root / "interrupted", dropout=0.1, stop_at_step=3)
    resumed, _ = _train_tower_run(path, root / "interrupted", dropout=0.1)
    resumed_equals_uninterrupted = all(
        torch.equal(a, b)
        for a, b in zip(uninterrupted.parameters(), resumed.parameters(), strict=True)
    )
    per_rank_calls = distributed.gather_with_local_gradient(
        torch.tensor([[calls["evaluate"], calls["save_best"], calls["log"], calls["steps"]]])
    )
    errors = []
    for sentences, config in (
        (CORPUS, _small_config(batch_size=3)),
        (CORPUS[:17], _small_config()),
    ):
        try:
            train(AutoModel.from_pretrained(path), sentences, None, None, config, root / "bad")
        except ValueError as error:
            errors.append(str(error))
    no_dropout, no_dropout_calls = _train_tower_run(path, root / "no_dropout", dropout=0.0)
    return {
        "per_rank_resumed_equals_uninterrupted": distributed.gather_with_local_gradient(
            torch.tensor([resumed_equals_uninterrupted])
        ),
        "per_rank_calls": per_rank_calls,
        "per_rank_draws": distributed.gather_with_local_gradient(torch.tensor([calls["draws"]])),
        "errors": errors,
        "no_dropout_weights": no_dropout.state_dict(),
        "no_dropout_losses": no_dropout_calls["losses"],
    }


def _report_process_group(offset: int) -> dict[str, object]:
    ranks = distributed.gather_with_local_gradient(torch.tensor([distributed.rank() + offset]))
    return {"world_size": distributed.world_size(), "ranks": ranks.tolist()}


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_process_steps(tiny_bert_path: Path, tiny_bert_path_b: Path) -> dict[str, object]:
    return launch(TWO_PROCESSES, _one_step_worker, (str(tiny_bert_path), str(tiny_bert_path_b)))


@pytest.fixture(scope="module")
def two_process_loop(tiny_bert_path: Path, tmp_path_factory) -> dict[str, object]:
    return launch(TWO_PROCESSES, _loop_worker, str(tiny_bert_path), tmp_path_factory.mktemp("ddp"))


@pytest.mark.slow
def test_gather_puts_the_local_rows_back_with_their_gradient(two_process_steps):
    full, weights = _gather_input()
    result = two_process_steps["gather"]
    torch.testing.assert_close(result["gathered"], full, rtol=0, atol=0)
    # d sum(w * x) / dx = w, and each rank receives the gradient of its own rows only.
    torch.testing.assert_close(result["local_gradient"], weights[:3], rtol=0, atol=0)
    torch.testing.assert_close(result["every_gradient"], weights, rtol=0, atol=0)


def test_gather_is_the_identity_in_one_process():
    rows = torch.randn(3, 2)
    assert distributed.world_size() == 1 and distributed.gather_with_local_gradient(rows) is rows


@pytest.mark.slow
@pytest.mark.parametrize("family", list(FAMILY_SENTENCES))
def test_one_step_on_two_processes_equals_one_process_on_the_global_batch(
    two_process_steps, tiny_bert_path, tiny_bert_path_b, family
):
    paths = (str(tiny_bert_path), str(tiny_bert_path_b))
    if family == "joint":
        torch.manual_seed(COIN_SEEDS[0])
    terms, gradients = _one_step(family, paths, list(range(FAMILY_SENTENCES[family])))
    distributed_terms, distributed_gradients = two_process_steps[family]
    assert distributed_terms.keys() == terms.keys()
    for name, value in terms.items():
        assert distributed_terms[name] == pytest.approx(value, rel=1e-6, abs=1e-6), name
    assert distributed_gradients.keys() == gradients.keys()
    for name, gradient in gradients.items():
        torch.testing.assert_close(distributed_gradients[name], gradient, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_a_resumed_two_process_run_ends_like_an_uninterrupted_one(two_process_loop):
    # On every rank: a rank that missed rank 0's optimizer state would drift from the others.
    assert two_process_loop["per_rank_resumed_equals_uninterrupted"].tolist() == [True, True]


@pytest.mark.slow
def test_the_ranks_draw_different_random_numbers(two_process_loop):
    rank_0, rank_1 = two_process_loop["per_rank_draws"]
    assert len(rank_0) == 3 and not torch.equal(rank_0, rank_1)


@pytest.mark.slow
def test_only_rank_0_evaluates_saves_and_logs(two_process_loop):
    evaluate, save_best, log, steps = two_process_loop["per_rank_calls"].T.tolist()
    assert steps == [3, 3]
    assert evaluate == [2, 0]  # at step 2 (eval_every) and at the end
    assert save_best[0] >= 1 and save_best[1] == 0
    assert log == [3 + 2, 0]  # every step's terms and each dev score


@pytest.mark.slow
def test_a_batch_that_does_not_split_between_the_processes_is_refused(two_process_loop):
    multiple, last_batch = two_process_loop["errors"]
    assert "batch_size (3) must be a multiple of the number of processes (2)" in multiple
    assert "last batch of each epoch holds 1 of the 17 sentences" in last_batch


@pytest.mark.slow
def test_a_two_process_run_without_dropout_follows_the_one_process_run(
    two_process_loop, tiny_bert_path, tmp_path
):
    single, calls = _train_tower_run(str(tiny_bert_path), tmp_path / "single", dropout=0.0)
    assert two_process_loop["no_dropout_losses"] == pytest.approx(calls["losses"], rel=1e-6)
    # AdamW's first updates are about lr * sign(gradient), so float noise on a near-zero
    # gradient may move a single weight by up to lr (1e-3); another batch order or a wrong
    # gradient would move most weights by about lr.
    for name, value in single.state_dict().items():
        difference = (two_process_loop["no_dropout_weights"][name] - value).abs()
        assert float(difference.mean()) < 1e-5, name


@pytest.mark.slow
def test_a_second_machine_joins_with_torchrun_and_receives_the_job(tmp_path):
    # Both machines must know the rendezvous port before either starts. The port stays
    # reserved from the moment it is picked: this socket keeps it bound (SO_REUSEADDR, never
    # listening), so no other process can take it, while node 0's TCPStore may still bind it
    # and listen (Linux allows that between SO_REUSEADDR sockets, none listening yet).
    with socket.socket() as reservation:
        reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reservation.bind(("127.0.0.1", 0))
        port = reservation.getsockname()[1]
        with socket.socket() as other, pytest.raises(OSError, match="in use"):
            other.bind(("127.0.0.1", port))  # reserved: no other process can take it
        node_1 = subprocess.Popen(
            [
                *(sys.executable, "-m", "torch.distributed.run", "--nnodes", "2"),
                *("--node-rank", "1", "--nproc-per-node", "1", "--master-addr", "127.0.0.1"),
                *("--master-port", str(port), "-m", "jtcse.training.launcher"),
            ],
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            settings = DistributedSettings(num_nodes=2, rdzv_endpoint=f"127.0.0.1:{port}")
            result = launch(settings, _report_process_group, 10)
        finally:
            assert node_1.wait(timeout=120) == 0
    assert result == {"world_size": 2, "ranks": [10, 11]}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"num_processes": 0}, "num_processes must be >= 1; got 0"),
        ({"num_nodes": 2}, "rdzv_endpoint must be 'host:port' of this machine"),
        ({"num_nodes": 2, "rdzv_endpoint": "node0"}, "rdzv_endpoint must be 'host:port'"),
    ],
)
def test_distributed_settings_validation_names_the_parameter(values, message):
    with pytest.raises(ValueError, match=message):
        DistributedSettings(**values)


def test_one_process_runs_the_function_here():
    assert launch(DistributedSettings(), distributed.world_size) == 1


def _fail_on_rank_1() -> None:
    if distributed.rank() == 1:
        raise RuntimeError("rank 1 cannot go on")


@pytest.mark.slow
def test_a_failing_worker_fails_the_launch_instead_of_hanging():
    # Rank 0 finishes and waits for rank 1, which raises: the agent stops the run. Its error
    # names the first failure it observed (the worker's traceback, or rank 0's lost peer).
    with pytest.raises(ChildFailedError, match="_run_job FAILED"):
        launch(TWO_PROCESSES, _fail_on_rank_1)
