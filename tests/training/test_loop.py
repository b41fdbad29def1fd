"""Tests of the shared training loop and its atomic checkpoints, on a tiny real BERT."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer

from jtcse.modeling import precision
from jtcse.training import (
    TrainingConfig,
    epoch_permutation,
    mlflow_metrics_logger,
    sentence_collator,
    train,
)
from jtcse.training.checkpoints import CorruptCheckpointError, latest_checkpoint, read_checkpoint
from jtcse.training.loop import adamw_parameter_groups
from tests.fixtures.tiny_bert import TINY_CORPUS

# 32 sentences of varying length: the 12 of the tiny corpus, then 20 two-sentence joins.
SENTENCES = TINY_CORPUS + [
    f"{TINY_CORPUS[i % 12]} {TINY_CORPUS[(5 * i + 1) % 12]}" for i in range(20)
]
TEMPERATURE = 0.05
TRAINED_WEIGHT = "encoder.layer.1.output.dense.weight"  # the pooler gets no gradient from [CLS]


class Interrupted(Exception):
    """Stands in for a crash or a Ctrl-C in the middle of training."""


def simcse_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Unsupervised SimCSE: CE over cos(h_i, h_j) / 0.05, diagonal masked, target i xor 1."""
    cls = model(**batch).last_hidden_state[:, 0]
    unit = F.normalize(cls.float(), dim=-1)
    logits = unit @ unit.T / TEMPERATURE
    logits = logits.masked_fill(torch.eye(len(logits), dtype=torch.bool), float("-inf"))
    loss = F.cross_entropy(logits, torch.arange(len(logits)) ^ 1)
    alignment = (unit[0::2] * unit[1::2]).sum(-1).mean()
    return {"loss": loss, "alignment": alignment.detach()}


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """Tiny models only lose from intra-op threads (and a busy machine makes it worse)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_path: Path):
    return AutoTokenizer.from_pretrained(tiny_bert_path)


@pytest.fixture
def fresh_model(tiny_bert_path: Path):
    """Builds the same initial model each call (as a new process would)."""
    return lambda: AutoModel.from_pretrained(tiny_bert_path)


def small_config(**overrides) -> TrainingConfig:
    settings = {
        "learning_rate": 1e-3,
        "batch_size": 8,
        "num_epochs": 2,
        "eval_every": 2,
        "log_every": 1,
        "checkpoint_every": 3,
    }
    return TrainingConfig(**{**settings, **overrides})


def dev_score_of(model: torch.nn.Module, collate) -> Callable[[], float]:
    """A deterministic stand-in for the STS-B dev score: minus the eval-mode loss."""
    return lambda: -simcse_loss(model, collate(SENTENCES[:8]))["loss"].item()


def interrupt_at(step: int):
    def log_metrics(metrics: dict[str, float], logged_step: int) -> None:
        if logged_step == step and "loss" in metrics:
            raise Interrupted(f"interrupted at step {step}")

    return log_metrics


def test_training_lowers_the_contrastive_loss(fresh_model, tokenizer, tmp_path):
    model = fresh_model()
    collate = sentence_collator(tokenizer, max_length=32)

    def corpus_loss() -> float:
        model.train()
        torch.manual_seed(0)
        with torch.no_grad():
            return simcse_loss(model, collate(SENTENCES))["loss"].item()

    before = corpus_loss()
    config = small_config(num_epochs=20, learning_rate=3e-3, log_every=10, checkpoint_every=80)
    result = train(model, SENTENCES, collate, simcse_loss, config, tmp_path / "run")
    after = corpus_loss()
    assert result.global_step == 80
    assert after < 0.75 * before, (before, after)


def numpy_word_dropping(collate):
    """``collate`` after dropping words with NumPy's global generator (as an augmentation
    drawing from NumPy would): a resumed run must restore NumPy's state as well."""

    def drop_and_collate(sentences: list[str]) -> dict[str, torch.Tensor]:
        kept = [[word for word in s.split() if np.random.random() >= 0.3] for s in sentences]
        return collate([" ".join(words) or s for words, s in zip(kept, sentences, strict=True)])

    return drop_and_collate


def test_interrupted_run_resumes_to_the_same_weights(fresh_model, tokenizer, tmp_path):
    collate = sentence_collator(tokenizer, max_length=32)
    dropping = numpy_word_dropping(collate)
    config = small_config()  # 8 steps over 2 epochs, checkpoints at 3 and 6, evaluation every 2

    uninterrupted = fresh_model()
    expected = train(
        uninterrupted,
        SENTENCES,
        dropping,
        simcse_loss,
        config,
        tmp_path / "full",
        evaluate_fn=dev_score_of(uninterrupted, collate),
    )

    crashed = fresh_model()
    with pytest.raises(Interrupted):
        train(
            crashed,
            SENTENCES,
            dropping,
            simcse_loss,
            config,
            tmp_path / "resumed",
            evaluate_fn=dev_score_of(crashed, collate),
            log_metrics=interrupt_at(5),
        )
    assert latest_checkpoint(tmp_path / "resumed").name == "step-00000003"

    # a new process has other RNG states: the checkpoint must restore them
    random.seed(12345)
    np.random.seed(12345)
    torch.manual_seed(12345)
    resumed = fresh_model()
    result = train(
        resumed,
        SENTENCES,
        dropping,
        simcse_loss,
        config,
        tmp_path / "resumed",
        evaluate_fn=dev_score_of(resumed, collate),
    )

    assert result == expected
    assert [step for step, _ in result.dev_history] == [2, 4, 6, 8]
    expected_state, resumed_state = uninterrupted.state_dict(), resumed.state_dict()
    assert all(torch.equal(expected_state[name], resumed_state[name]) for name in expected_state)
    initial_weight = fresh_model().state_dict()[TRAINED_WEIGHT]
    assert not torch.equal(expected_state[TRAINED_WEIGHT], initial_weight)

    expected_optimizer = read_checkpoint(latest_checkpoint(tmp_path / "full"))[0]["optimizer"]
    resumed_optimizer = read_checkpoint(latest_checkpoint(tmp_path / "resumed"))[0]["optimizer"]
    assert expected_optimizer["state"].keys() == resumed_optimizer["state"].keys()
    for index, state in expected_optimizer["state"].items():
        assert state["step"].item() == resumed_optimizer["state"][index]["step"].item() == 8
        assert torch.equal(state["exp_avg_sq"], resumed_optimizer["state"][index]["exp_avg_sq"])


def test_another_seed_gives_other_weights(fresh_model, tokenizer, tmp_path):
    """Guards the resume test: data order and dropout do depend on the seed."""
    collate = sentence_collator(tokenizer, max_length=32)
    first, second = fresh_model(), fresh_model()
    train(first, SENTENCES, collate, simcse_loss, small_config(max_steps=2), tmp_path / "a")
    train(
        second, SENTENCES, collate, simcse_loss, small_config(max_steps=2, seed=7), tmp_path / "b"
    )
    assert not torch.equal(first.state_dict()[TRAINED_WEIGHT], second.state_dict()[TRAINED_WEIGHT])


@pytest.fixture
def finished_checkpoint(fresh_model, tokenizer, tmp_path) -> Path:
    """The checkpoint directory of a finished 2-step run."""
    collate = sentence_collator(tokenizer, max_length=32)
    config = small_config(max_steps=2)
    train(fresh_model(), SENTENCES, collate, simcse_loss, config, tmp_path / "run")
    return tmp_path / "run"


def truncate_model_file(path: Path) -> None:
    data = (path / "model.pt").read_bytes()
    (path / "model.pt").write_bytes(data[: len(data) // 2])


def edit_manifest_digest(path: Path) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"]["optimizer.pt"]["sha256"] = "0" * 64
    (path / "manifest.json").write_text(json.dumps(manifest))


def break_manifest_json(path: Path) -> None:
    (path / "manifest.json").write_text('{"files": ')


def remove_manifest(path: Path) -> None:
    (path / "manifest.json").unlink()


def add_unlisted_file(path: Path) -> None:
    (path / "extra.pt").write_bytes(b"not listed")


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (truncate_model_file, "model.pt does not match its sha256"),
        (edit_manifest_digest, "optimizer.pt does not match its sha256"),
        (break_manifest_json, "unreadable manifest.json"),
        (remove_manifest, "half-written"),
        (add_unlisted_file, "do not match the manifest"),
    ],
)
def test_corrupt_checkpoint_is_refused(
    corrupt, message, finished_checkpoint, fresh_model, tokenizer
):
    checkpoint = latest_checkpoint(finished_checkpoint)
    corrupt(checkpoint)
    with pytest.raises(CorruptCheckpointError, match=message) as error:
        train(
            fresh_model(),
            SENTENCES,
            sentence_collator(tokenizer, max_length=32),
            simcse_loss,
            small_config(max_steps=2),
            finished_checkpoint,
        )
    assert str(checkpoint) in str(error.value)


def test_leftover_temporary_dir_is_ignored_and_removed(fresh_model, tokenizer, tmp_path):
    collate = sentence_collator(tokenizer, max_length=32)
    config = small_config(max_steps=4, checkpoint_every=2)
    with pytest.raises(Interrupted):
        train(
            fresh_model(),
            SENTENCES,
            collate,
            simcse_loss,
            config,
            tmp_path,
            log_metrics=interrupt_at(3),
        )
    leftover = tmp_path / ".tmp-0123456789abcdef"  # a write that crashed before its rename
    leftover.mkdir()
    (leftover / "model.pt").write_bytes(b"half a file")
    (tmp_path / "notes.txt").write_text("not ours")

    assert latest_checkpoint(tmp_path).name == "step-00000002"
    result = train(fresh_model(), SENTENCES, collate, simcse_loss, config, tmp_path)
    assert result.global_step == 4
    assert sorted(item.name for item in tmp_path.iterdir()) == ["notes.txt", "step-00000004"]


def test_a_checkpoint_of_another_config_is_discarded_with_a_warning(
    fresh_model, tokenizer, tmp_path, caplog
):
    collate = sentence_collator(tokenizer, max_length=32)
    config = small_config(max_steps=4, checkpoint_every=2)
    with pytest.raises(Interrupted):
        train(
            fresh_model(),
            SENTENCES,
            collate,
            simcse_loss,
            config,
            tmp_path / "run",
            log_metrics=interrupt_at(3),
        )
    assert latest_checkpoint(tmp_path / "run").name == "step-00000002"

    more_logging = dataclasses.replace(config, log_every=2)  # does not change the result
    with caplog.at_level("WARNING", logger="jtcse.training"):
        assert (
            train(
                fresh_model(), SENTENCES, collate, simcse_loss, more_logging, tmp_path / "run"
            ).global_step
            == 4
        )
    assert not caplog.records  # resumed, nothing discarded

    changed = dataclasses.replace(config, learning_rate=2e-3)
    model = fresh_model()
    with caplog.at_level("WARNING", logger="jtcse.training"):
        result = train(model, SENTENCES, collate, simcse_loss, changed, tmp_path / "run")
    warning = caplog.records[-1].getMessage()
    assert "learning_rate: checkpoint 0.001, now 0.002" in warning
    assert str(tmp_path / "run" / "step-00000004") in warning
    reference = fresh_model()
    train(reference, SENTENCES, collate, simcse_loss, changed, tmp_path / "reference")
    assert result.global_step == 4
    for trained, expected in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.equal(trained, expected)  # a full run from scratch, not a resume

    caplog.clear()
    with caplog.at_level("WARNING", logger="jtcse.training"):
        train(
            fresh_model(),
            SENTENCES[:31],
            collate,
            simcse_loss,
            changed,
            tmp_path / "run",
            extra_fingerprint={"base_model": "other"},
        )
    warning = caplog.records[-1].getMessage()
    assert "num_sentences: checkpoint 32, now 31" in warning
    assert "extra_fingerprint.base_model" in warning

    caplog.clear()
    edited = [*SENTENCES[:30], "an edited sentence", SENTENCES[31]]  # same size, other text
    with caplog.at_level("WARNING", logger="jtcse.training"):
        train(fresh_model(), edited, collate, simcse_loss, changed, tmp_path / "reference")
    assert "corpus_sha256" in caplog.records[-1].getMessage()


def test_sentence_collator_pads_per_batch_and_interleaves_views(tokenizer):
    short, long = "a man .", "two dogs are running through a field ."
    long_ids = tokenizer(long)["input_ids"]
    batch = sentence_collator(tokenizer, max_length=64)([short, long])
    assert batch["input_ids"].shape == (4, len(long_ids)) and len(long_ids) < 64
    short_ids = tokenizer(short)["input_ids"]
    padded_short = short_ids + [tokenizer.pad_token_id] * (len(long_ids) - len(short_ids))
    assert batch["input_ids"].tolist() == [padded_short, padded_short, long_ids, long_ids]
    assert batch["attention_mask"].sum(1).tolist() == [len(short_ids)] * 2 + [len(long_ids)] * 2

    only_short = sentence_collator(tokenizer, max_length=64)([short, short])
    assert only_short["input_ids"].shape == (4, len(short_ids))
    single_view = sentence_collator(tokenizer, max_length=64, views=1)([short, long])
    assert single_view["input_ids"].tolist() == [padded_short, long_ids]
    truncated = sentence_collator(tokenizer, max_length=5)([short, long])
    assert truncated["input_ids"].shape == (4, 5)
    assert truncated["input_ids"][2].tolist() == [*long_ids[:4], tokenizer.sep_token_id]


def test_best_callback_only_on_improvement(fresh_model, tokenizer, tmp_path):
    model = fresh_model()
    scores = iter([math.nan, 0.3, 0.2, 0.3])  # NaN and a tie never count as improvements
    modes = []

    def evaluate() -> float:
        modes.append((model.training, torch.is_grad_enabled()))
        return next(scores)

    saved, logged = [], []
    result = train(
        model,
        SENTENCES,
        sentence_collator(tokenizer, max_length=32),
        simcse_loss,
        small_config(max_steps=7),
        tmp_path,
        evaluate_fn=evaluate,
        save_best_fn=lambda score, step: saved.append((score, step)),
        log_metrics=lambda metrics, step: logged.append((metrics, step)),
    )
    assert saved == [(0.3, 4)]
    assert (result.best_score, result.best_step) == (0.3, 4)
    assert [step for step, _ in result.dev_history] == [2, 4, 6, 7]  # every 2 steps and at the end
    assert modes == [(False, False)] * 4 and model.training
    dev_logs = [(metrics["dev_score"], step) for metrics, step in logged if "dev_score" in metrics]
    assert dev_logs[1:] == [(0.3, 4), (0.2, 6), (0.3, 7)] and math.isnan(dev_logs[0][0])


@pytest.mark.parametrize(
    ("schedule", "multipliers"),
    [
        ("linear", [1 / 2, 1, 6 / 6, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6]),
        ("constant", [1 / 2, 1, 1, 1, 1, 1, 1, 1]),
    ],
)
def test_learning_rate_schedule_with_warmup(
    schedule, multipliers, fresh_model, tokenizer, tmp_path
):
    logged = {}
    config = small_config(schedule=schedule, warmup_steps=2, learning_rate=1e-3)
    train(
        fresh_model(),
        SENTENCES,
        sentence_collator(tokenizer, max_length=32),
        simcse_loss,
        config,
        tmp_path,
        log_metrics=lambda metrics, step: logged.update({step: metrics}),
    )
    learning_rates = [logged[step]["learning_rate"] for step in range(1, 9)]
    assert learning_rates == pytest.approx([1e-3 * m for m in multipliers], rel=1e-12)


def test_logged_metrics_average_the_window_and_data_follows_the_permutation(
    fresh_model, tokenizer, tmp_path
):
    collate = sentence_collator(tokenizer, max_length=32)
    seen, losses, logged = [], [], {}

    def recording_collate(batch: list[str]) -> dict[str, torch.Tensor]:
        seen.extend(batch)
        return collate(batch)

    def recording_loss(model, batch):
        terms = simcse_loss(model, batch)
        losses.append(terms["loss"].item())
        return terms

    train(
        fresh_model(),
        SENTENCES,
        recording_collate,
        recording_loss,
        small_config(log_every=3),
        tmp_path,
        log_metrics=lambda metrics, step: logged.update({step: metrics}),
    )
    assert sorted(logged) == [3, 6, 8]
    windows = {3: losses[0:3], 6: losses[3:6], 8: losses[6:8]}
    for step, window in windows.items():
        assert logged[step]["loss"] == pytest.approx(sum(window) / len(window), rel=1e-6)
        assert {"loss", "alignment", "grad_norm", "learning_rate", "tokens_per_second"} == set(
            logged[step]
        )
    orders = [epoch_permutation(len(SENTENCES), seed=42, epoch=epoch) for epoch in (0, 1)]
    assert seen == [SENTENCES[i] for order in orders for i in order.tolist()]
    assert not torch.equal(orders[0], orders[1])


def test_bf16_autocast_run_keeps_float32_weights(fresh_model, tokenizer, tmp_path):
    model = fresh_model()
    initial = model.state_dict()[TRAINED_WEIGHT].clone()
    observed = []

    def recording_loss(model, batch):
        projected = model.pooler.dense(model(**batch).last_hidden_state[:, 0])
        observed.append((torch.is_autocast_enabled("cpu"), projected.dtype))
        return simcse_loss(model, batch)

    result = train(
        model,
        SENTENCES,
        sentence_collator(tokenizer, max_length=32),
        recording_loss,
        small_config(max_steps=2, bf16=True),
        tmp_path,
    )
    assert observed == [(True, torch.bfloat16)] * 2
    assert math.isfinite(result.last_metrics["loss"])
    assert all(parameter.dtype == torch.float32 for parameter in model.parameters())
    assert not torch.equal(model.state_dict()[TRAINED_WEIGHT], initial)


@pytest.mark.parametrize("native", [True, False], ids=["native-bf16", "emulated-bf16"])
def test_auto_bf16_autocasts_only_where_the_device_has_native_bf16(
    fresh_model, tokenizer, tmp_path, monkeypatch, native
):
    monkeypatch.setattr(precision, "_cpu_bf16", lambda: native)
    observed = []

    def recording_loss(model, batch):
        observed.append(torch.is_autocast_enabled("cpu"))
        return simcse_loss(model, batch)

    import mlflow

    collate = sentence_collator(tokenizer, max_length=32)
    config = small_config(max_steps=1, bf16="auto")
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("precision")
    try:
        with mlflow.start_run() as run:
            train(
                fresh_model(),
                SENTENCES,
                collate,
                recording_loss,
                config,
                tmp_path / "checkpoints",
                description="tower_1",
            )
        tags = mlflow.MlflowClient().get_run(run.info.run_id).data.tags
    finally:
        mlflow.set_tracking_uri(previous_uri)
    assert observed == [native]
    assert tags["tower_1.bf16"] == str(native)  # the run records what ran, not "auto"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learning_rate", 0.0),
        ("learning_rate", "1e-5"),
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("num_epochs", 0),
        ("max_steps", 0),
        ("weight_decay", -0.01),
        ("weight_decay_scope", "biases"),
        ("schedule", "cosine"),
        ("warmup_steps", -1),
        ("max_grad_norm", 0.0),
        ("bf16", "yes"),
        ("seed", -1),
        ("eval_every", 0),
        ("log_every", True),
        ("checkpoint_every", 0),
    ],
)
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=rf"^{field} must be .*; got {re.escape(repr(value))}$"):
        small_config(**{field: value})


@pytest.mark.parametrize(("scope", "decays_vectors"), [("matrices", False), ("all", True)])
def test_weight_decay_scope_decides_which_parameters_decay(fresh_model, scope, decays_vectors):
    """``all`` is ``torch.optim.AdamW(model.parameters(), weight_decay=0.01)`` of the authors'
    scripts; ``matrices`` leaves biases and LayerNorm weights undecayed."""
    parameters = list(fresh_model().parameters())
    config = small_config(weight_decay=0.01, weight_decay_scope=scope)

    decay = {
        id(p): group["weight_decay"]
        for group in adamw_parameter_groups(parameters, config)
        for p in group["params"]
    }

    assert len(decay) == len(parameters)
    assert {decay[id(p)] for p in parameters if p.ndim >= 2} == {0.01}
    assert {decay[id(p)] for p in parameters if p.ndim < 2} == {0.01 if decays_vectors else 0.0}


def test_run_level_validation(fresh_model, tokenizer, tmp_path):
    with pytest.raises(ValueError, match="num_epochs and max_steps"):
        TrainingConfig(learning_rate=1e-3, batch_size=8, num_epochs=None)
    with pytest.raises(ValueError, match=r"warmup_steps \(8\) must be smaller .* \(8\)"):
        train(fresh_model(), SENTENCES, None, simcse_loss, small_config(warmup_steps=8), tmp_path)
    with pytest.raises(ValueError, match="sentences is empty"):
        train(fresh_model(), [], None, simcse_loss, small_config(), tmp_path)
    with pytest.raises(ValueError, match="max_length"):
        sentence_collator(tokenizer, max_length=0)
    with pytest.raises(ValueError, match="views"):
        sentence_collator(tokenizer, max_length=8, views=0)
    with pytest.raises(ValueError, match="'loss' entry"):
        train(
            fresh_model(),
            SENTENCES,
            sentence_collator(tokenizer, max_length=8),
            lambda model, batch: {"total": simcse_loss(model, batch)["loss"]},
            small_config(),
            tmp_path,
        )


def test_mlflow_logger_logs_only_inside_an_active_run(tmp_path):
    import mlflow

    log_metrics = mlflow_metrics_logger()
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("metrics-logger")  # independent of experiments set by earlier tests
    try:
        assert mlflow.active_run() is None
        log_metrics({"loss": 9.0}, 1)  # no run: silently nothing
        assert mlflow.search_runs(search_all_experiments=True).empty
        with mlflow.start_run() as run:
            log_metrics({"loss": 1.5, "learning_rate": 1e-3}, 3)
        history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")
        assert [(metric.value, metric.step) for metric in history] == [(1.5, 3)]
    finally:
        mlflow.set_tracking_uri(previous_uri)


def _short_run(fresh_model, tokenizer, tmp_path, steps, evaluate_fn=None, logged=None):
    """SimCSE on SENTENCES for ``steps`` steps (dev every 2, a log every step), the logged
    ``(metrics, step)`` appended to ``logged``."""
    return train(
        fresh_model(),
        SENTENCES,
        sentence_collator(tokenizer, max_length=32),
        simcse_loss,
        small_config(max_steps=steps),
        tmp_path,
        evaluate_fn=evaluate_fn,
        log_metrics=None
        if logged is None
        else lambda metrics, step: logged.append((metrics, step)),
    )


def test_an_evaluation_mapping_logs_its_metrics_at_the_step(fresh_model, tokenizer, tmp_path):
    evaluations = iter([{"dev_score": 0.1, "held_out_loss": 2.0}, {"dev_score": 0.4, "x": 1}])
    logged = []
    result = _short_run(
        fresh_model, tokenizer, tmp_path, 4, evaluate_fn=lambda: next(evaluations), logged=logged
    )
    assert result.dev_history == [(2, 0.1), (4, 0.4)]
    evaluation_logs = [(metrics, step) for metrics, step in logged if "dev_score" in metrics]
    assert evaluation_logs == [
        ({"dev_score": 0.1, "held_out_loss": 2.0}, 2),
        ({"dev_score": 0.4, "x": 1.0}, 4),
    ]


def test_an_evaluation_mapping_without_the_score_is_refused(fresh_model, tokenizer, tmp_path):
    with pytest.raises(
        ValueError, match=r"evaluate_fn returned \['loss'\]: a mapping needs 'dev_score'"
    ):
        _short_run(fresh_model, tokenizer, tmp_path, 2, evaluate_fn=lambda: {"loss": 1.0})


def test_the_token_rate_is_logged_but_kept_out_of_the_history(fresh_model, tokenizer, tmp_path):
    logged = []
    result = _short_run(fresh_model, tokenizer, tmp_path, 4, logged=logged)
    rates = [metrics["tokens_per_second"] for metrics, _ in logged if "loss" in metrics]
    assert len(rates) == len(result.metric_history) and all(rate > 0 for rate in rates)
    assert all("tokens_per_second" not in row for row in result.metric_history)


def test_compiled_steps_train_as_the_eager_ones(fresh_model, tokenizer, tmp_path, monkeypatch):
    """Same seed, same batches, dropout from eager's generator: the compiled run's losses and
    weights are the eager run's to float32 rounding."""
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    collate = sentence_collator(tokenizer, max_length=32)
    config = small_config(num_epochs=1, eval_every=100, checkpoint_every=100)
    runs = {}
    for compile in ("off", "on"):
        model = fresh_model()
        result = train(
            model, SENTENCES, collate, simcse_loss, config, tmp_path / compile, compile=compile
        )
        runs[compile] = (result, model.state_dict()[TRAINED_WEIGHT])
    (eager, eager_weight), (compiled, compiled_weight) = runs["off"], runs["on"]
    losses = [[entry["loss"] for entry in run.metric_history] for run in (eager, compiled)]
    np.testing.assert_allclose(losses[1], losses[0], atol=1e-4)
    torch.testing.assert_close(compiled_weight, eager_weight, atol=1e-4, rtol=1e-3)
