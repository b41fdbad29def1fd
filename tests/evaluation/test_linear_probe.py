"""Tests of the batched SentEval linear classifier (jtcse.evaluation.linear_probe)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from jtcse.evaluation.linear_probe import (
    ProbeFit,
    ProbeSettings,
    fit_probes,
    initial_weights,
)

SETTINGS = ProbeSettings(batch_size=16, max_epoch=12, seed=1111)


def _blobs(rows: int, dimension: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clouds around random class centres (overlapping, so training is not trivial)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, rows)
    centres = rng.normal(size=(classes, dimension))
    features = centres[labels] + 1.5 * rng.normal(size=(rows, dimension))
    return features.astype(np.float32), labels


def _reference_fit(
    features: np.ndarray, labels: np.ndarray, classes: int, fit: ProbeFit, settings: ProbeSettings
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One classifier trained the plain way: nn.Linear, CrossEntropyLoss, torch.optim.Adam
    with weight_decay, SentEval's seeding, batching and early stopping."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        model = torch.nn.Linear(features.shape[1], classes)
    rng = np.random.RandomState(settings.seed)
    train = fit.train
    if fit.valid is None:
        permutation = rng.permutation(len(train))
        held_out = int(settings.validation_fraction * len(train))
        train, valid = train[permutation[held_out:]], train[permutation[:held_out]]
    else:
        valid = fit.valid
    x, y = torch.from_numpy(features[train]), torch.from_numpy(labels[train])
    x_valid, y_valid = torch.from_numpy(features[valid]), torch.from_numpy(labels[valid])
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate, weight_decay=fit.l2)
    loss_fn = torch.nn.CrossEntropyLoss()
    best, kept, misses, epochs, stop = -1.0, None, 0, 0, False
    while not stop and epochs <= settings.max_epoch:
        for _ in range(settings.epoch_size):
            order = torch.from_numpy(rng.permutation(len(x)))
            for start in range(0, len(x), settings.batch_size):
                batch = order[start : start + settings.batch_size]
                loss = loss_fn(model(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        epochs += settings.epoch_size
        with torch.no_grad():
            accuracy = (model(x_valid).argmax(1) == y_valid).double().mean().item()
        if accuracy > best:
            best, kept = accuracy, copy.deepcopy(model)
        else:
            if misses >= settings.tenacity:
                stop = True
            misses += 1
    return kept.weight.detach().numpy(), kept.bias.detach().numpy(), best, epochs


def test_batched_classifiers_match_plain_pytorch_training_one_at_a_time() -> None:
    features, labels = _blobs(300, 8, 3, seed=0)
    rows = np.arange(300)
    fits = [
        ProbeFit(rows[:200], 1e-5, rows[200:]),
        ProbeFit(rows[:190], 1e-2, rows[190:]),  # same number of batches, shorter last batch
        ProbeFit(rows[:120], 1e-3, rows[120:160]),  # fewer batches: another group
        ProbeFit(rows[50:], 1e-4),  # validation split held out of train
    ]

    trained = fit_probes(features, labels, 3, fits, SETTINGS)

    for fit, probe in zip(fits, trained, strict=True):
        weight, bias, best, epochs = _reference_fit(features, labels, 3, fit, SETTINGS)
        np.testing.assert_allclose(probe.weight, weight, atol=2e-5)
        np.testing.assert_allclose(probe.bias, bias, atol=2e-5)
        assert probe.valid_accuracy == pytest.approx(best)
        assert probe.epochs == epochs


def test_parallel_stacks_train_the_same_classifiers_as_one_stack() -> None:
    features, labels = _blobs(240, 6, 2, seed=3)
    rows = np.arange(240)
    fits = [ProbeFit(rows[: 150 + i], l2, rows[200:]) for i in range(5) for l2 in (1e-5, 1e-2)]
    done: list[int] = []

    alone = fit_probes(features, labels, 2, fits, ProbeSettings(batch_size=16, workers=1))
    parallel = fit_probes(
        features, labels, 2, fits, ProbeSettings(batch_size=16, workers=3), on_done=done.append
    )

    for one, other in zip(alone, parallel, strict=True):
        np.testing.assert_array_equal(one.weight, other.weight)
        np.testing.assert_array_equal(one.bias, other.bias)
        assert (one.valid_accuracy, one.epochs) == (other.valid_accuracy, other.epochs)
    assert sum(done) == len(fits)


def test_early_stopping_counts_misses_without_resetting() -> None:
    # Identical features for every row: the validation accuracy never improves after the first
    # evaluation, so training stops at the evaluation after `tenacity` misses: 1 + 5 + 1.
    features = np.ones((40, 4), dtype=np.float32)
    labels = np.array([0, 1] * 20)
    (probe,) = fit_probes(features, labels, 2, [ProbeFit(np.arange(30), 1e-5, np.arange(30, 40))])
    assert probe.epochs == 7 * 4
    assert probe.valid_accuracy == 0.5


def test_training_stops_after_max_epoch() -> None:
    features, labels = _blobs(200, 6, 2, seed=1)
    settings = ProbeSettings(max_epoch=8, tenacity=100)
    (probe,) = fit_probes(
        features, labels, 2, [ProbeFit(np.arange(150), 1e-5, np.arange(150, 200))], settings
    )
    # Evaluations after 4, 8 and 12 epochs (the loop runs while at most max_epoch have run).
    assert probe.epochs == 12


def test_initial_weights_are_nn_linear_after_seeding_and_leave_the_generator_alone() -> None:
    before = torch.random.get_rng_state()
    weight, bias = initial_weights(5, 3, seed=1111)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(1111)
    layer = torch.nn.Linear(5, 3)
    assert torch.equal(weight, layer.weight.detach())
    assert torch.equal(bias, layer.bias.detach())


def test_bad_labels_and_empty_validation_are_refused() -> None:
    features = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        fit_probes(features, np.arange(10) % 3, 2, [ProbeFit(np.arange(8), 1e-5, np.arange(8, 10))])
    with pytest.raises(ValueError, match="training and validation rows"):
        fit_probes(features, np.arange(10) % 2, 2, [ProbeFit(np.arange(10), 1e-5)])
