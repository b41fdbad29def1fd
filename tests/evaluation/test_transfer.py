"""Tests of the SentEval transfer protocol (jtcse.evaluation.transfer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jtcse.evaluation.transfer as transfer
from jtcse.data.senteval_transfer import TRANSFER_FILES, TRANSFER_TASKS, read_transfer_tasks
from jtcse.encoding import Encoder
from jtcse.encoding.cache import EmbeddingCache
from jtcse.evaluation.linear_probe import ProbeFit, ProbeSettings, fit_probes
from jtcse.evaluation.transfer import (
    PENALTIES,
    RESULT_COLUMNS,
    TRANSFER_SPLITS,
    TaskData,
    evaluate_task,
    evaluate_transfer,
    pair_features,
    senteval_order,
    stratified_folds,
    task_data,
)
from tests.fixtures.transfer import write_transfer_fixture

FOLDS = 3


def _clusters(
    per_class: int, classes: int, seed: int, flip: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Clusters around random sign patterns in 64 dimensions (noise 0.3 per dimension; centres
    about 11 apart, so linearly separable and the best accuracy is 100); with ``flip`` that
    fraction of each class's labels is changed to the next class, so no classifier of the
    features averages better than 100 (1 - flip) on them."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), per_class)
    centres = rng.choice([-1.0, 1.0], size=(classes, 64))
    features = centres[labels] + 0.3 * rng.normal(size=(len(labels), 64))
    noisy = labels.copy()
    for label in range(classes):
        members = np.flatnonzero(labels == label)
        flipped = rng.choice(members, int(flip * per_class), replace=False)
        noisy[flipped] = (label + 1) % classes
    order = rng.permutation(len(labels))
    return features[order].astype(np.float32), noisy[order]


def _split_data(features: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> TaskData:
    """TaskData with consecutive equal parts of the rows as the splits ``names``."""
    parts = np.array_split(np.arange(len(labels)), len(names))
    return TaskData(features, labels, dict(zip(names, parts, strict=True)))


@pytest.mark.parametrize("task", ["MR", "SST2", "TREC", "MRPC"])
def test_separable_data_score_100_under_every_scheme(task: str) -> None:
    rule = TRANSFER_SPLITS[task]
    features, labels = _clusters(100, rule.classes, seed=0)
    data = _split_data(features, labels, tuple(TRANSFER_FILES[task].splits))

    scores = evaluate_task(data, task, folds=FOLDS)

    assert scores["accuracy"] == 100.0
    assert scores["dev_accuracy"] == 100.0
    if task == "MRPC":
        assert scores["f1"] == 100.0


@pytest.mark.parametrize("task", ["MR", "TREC"])
def test_label_noise_bounds_the_accuracy(task: str) -> None:
    rule = TRANSFER_SPLITS[task]
    features, labels = _clusters(150, rule.classes, seed=1, flip=0.2)
    data = _split_data(features, labels, tuple(TRANSFER_FILES[task].splits))

    scores = evaluate_task(data, task, folds=FOLDS)

    # 20 % of the labels contradict their cluster: the best rule gets 80 % of them right, and
    # early stopping on the final fit's few held-out rows (5 %) may stop short of it.
    assert 70.0 <= scores["accuracy"] <= 84.0
    assert 75.0 <= scores["dev_accuracy"] <= 84.0


class _FitSpy:
    """Records the fits of every ``fit_probes`` call and runs the real training."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[ProbeFit]] = []
        real = transfer.fit_probes

        def spy(features, labels, classes, fits, settings=None, on_done=None):
            self.calls.append(list(fits))
            return real(features, labels, classes, fits, settings, on_done)

        monkeypatch.setattr(transfer, "fit_probes", spy)


def test_outer_folds_choose_the_penalty_by_inner_folds_of_each_training_fold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = _FitSpy(monkeypatch)
    features, labels = _clusters(30, 2, seed=2)
    evaluate_task(TaskData(features, labels, {"all": np.arange(60)}), "CR", folds=FOLDS)

    inner, final = spy.calls
    assert len(inner) == FOLDS * len(PENALTIES) * FOLDS and len(final) == FOLDS
    outer = stratified_folds(labels, FOLDS, transfer.SEED)
    for index, (train, test) in enumerate(outer):
        block = inner[index * len(PENALTIES) * FOLDS : (index + 1) * len(PENALTIES) * FOLDS]
        assert [fit.l2 for fit in block] == [l2 for l2 in PENALTIES for _ in range(FOLDS)]
        for fit in block:
            assert set(fit.train) | set(fit.valid) == set(train)
            assert not set(fit.train) & set(fit.valid)
        assert final[index].valid is None  # 5 % of the training fold held out
        np.testing.assert_array_equal(final[index].train, train)
        assert not set(train) & set(test)
    assert sorted(np.concatenate([test for _, test in outer])) == list(range(60))


def test_dev_and_train_fold_schemes_use_their_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _FitSpy(monkeypatch)
    features, labels = _clusters(30, 2, seed=3)
    sst = _split_data(features, labels, ("train", "dev", "test"))
    evaluate_task(sst, "SST2", folds=FOLDS)
    (fits,) = spy.calls
    assert [fit.l2 for fit in fits] == list(PENALTIES)
    for fit in fits:
        np.testing.assert_array_equal(fit.train, sst.splits["train"])
        np.testing.assert_array_equal(fit.valid, sst.splits["dev"])

    spy.calls.clear()
    trec = _split_data(*_clusters(20, 6, seed=4), ("train", "test"))
    evaluate_task(trec, "TREC", folds=FOLDS)
    folds, (final,) = spy.calls
    assert len(folds) == len(PENALTIES) * FOLDS
    train = set(trec.splits["train"])
    assert all(set(fit.train) | set(fit.valid) == train for fit in folds)
    assert final.valid is None and set(final.train) == train


def test_split_table_names_the_files_splits_and_schemes() -> None:
    assert tuple(TRANSFER_SPLITS) == TRANSFER_TASKS
    for task, rule in TRANSFER_SPLITS.items():
        splits = set(TRANSFER_FILES[task].splits)
        assert rule.train in splits
        assert rule.test in splits | {"outer_folds"}
        assert rule.select in {"inner_folds", "dev", "folds"}
        assert (rule.select == "inner_folds") == (rule.test == "outer_folds")
        assert (rule.select == "dev") == ("dev" in splits)
    assert [task for task, rule in TRANSFER_SPLITS.items() if rule.pairs] == ["MRPC"]
    assert TRANSFER_SPLITS["TREC"].classes == 6


def test_stratified_folds_partition_the_rows_keep_class_shares_and_follow_the_seed() -> None:
    labels = np.array([0] * 70 + [1] * 30 + [2] * 13)
    folds = stratified_folds(labels, 10, 1111)

    assert len(folds) == 10
    assert sorted(np.concatenate([test for _, test in folds])) == list(range(len(labels)))
    for train, test in folds:
        assert len(set(train) | set(test)) == len(labels)
        for label, total in zip(*np.unique(labels, return_counts=True), strict=True):
            assert abs(np.sum(labels[test] == label) - total / 10) < 1
    again = stratified_folds(labels, 10, 1111)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    other = stratified_folds(labels, 10, 1112)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, other, strict=True))


def _reference_inner_folds(features: np.ndarray, labels: np.ndarray, seed: int) -> dict:
    """SentEval's inner-fold protocol (MR, CR, SUBJ, MPQA) spelt out fold by fold, every
    classifier fit on its own: in each outer training fold the penalty of the best mean
    inner-fold accuracy, then a classifier with it scored on the outer test fold."""
    settings = ProbeSettings(seed=seed)
    tests, chosen = [], []
    for train, test in stratified_folds(labels, FOLDS, seed):
        inner = stratified_folds(labels[train], FOLDS, seed)
        means = []
        for l2 in PENALTIES:
            fits = [ProbeFit(train[a], l2, train[b]) for a, b in inner]
            probes = fit_probes(features, labels, 2, fits, settings)
            means.append(round(100 * float(np.mean([p.valid_accuracy for p in probes])), 2))
        best = int(np.argmax(means))
        (final,) = fit_probes(features, labels, 2, [ProbeFit(train, PENALTIES[best])], settings)
        tests.append(round(100 * final.accuracy(features[test], labels[test]), 2))
        chosen.append(means[best])
    return {
        "accuracy": round(float(np.mean(tests)), 2),
        "dev_accuracy": round(float(np.mean(chosen)), 2),
    }


def test_inner_fold_scores_follow_the_protocol_and_the_seed() -> None:
    features, labels = _clusters(30, 2, seed=5, flip=0.3)
    data = TaskData(features, labels, {"all": np.arange(60)})
    scores = {
        seed: evaluate_task(data, "MR", folds=FOLDS, settings=ProbeSettings(seed=seed))
        for seed in (transfer.SEED, 7)
    }
    for seed, score in scores.items():
        assert score == _reference_inner_folds(features, labels, seed), seed
    assert scores[transfer.SEED] != scores[7]  # the seed decides the folds and the classifiers
    assert evaluate_task(data, "MR", folds=FOLDS) == scores[transfer.SEED]  # SentEval's 1111


def test_senteval_order_sorts_by_tokens_then_label_stably() -> None:
    rows = pd.DataFrame(
        {
            "sentence1": ["a b c", "a", "x y", "b", "c d", ""],
            "sentence2": [None] * 6,
            "label": [0, 1, 1, 0, 0, 1],
        }
    )
    assert senteval_order(rows).tolist() == [5, 3, 1, 4, 2, 0]
    pairs = rows.assign(sentence2=["a", "a b", "a", "a", "a", "a"])
    assert senteval_order(pairs).tolist() == [5, 3, 1, 4, 2, 0]
    pairs.loc[4, "sentence2"] = "a b c"
    assert senteval_order(pairs).tolist() == [5, 3, 1, 2, 4, 0]


def test_mrpc_features_are_absolute_difference_and_product() -> None:
    u = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)
    v = np.array([[3.0, 1.0], [0.5, 4.0]], dtype=np.float32)
    np.testing.assert_array_equal(
        pair_features(u, v), [[2.0, 3.0, 3.0, -2.0], [0.0, 4.0, 0.25, 0.0]]
    )


def test_task_data_of_mrpc_pairs_rows_in_sentevals_order(tmp_path: Path) -> None:
    table = read_transfer_tasks(write_transfer_fixture(tmp_path, per_class=3), ["MRPC"])
    vocabulary = sorted(set(table["sentence1"]) | set(table["sentence2"]))
    vectors = {
        sentence: np.array([index, 1.0], dtype=np.float32)
        for index, sentence in enumerate(vocabulary)
    }

    data = task_data(table, "MRPC", lambda column: np.stack([vectors[s] for s in column]))

    assert data.features.shape == (12, 4)
    train = table[table["split"] == "train"]
    ordered = train.iloc[senteval_order(train)]
    rows = data.splits["train"]
    u = np.stack([vectors[s] for s in ordered["sentence1"]])
    v = np.stack([vectors[s] for s in ordered["sentence2"]])
    np.testing.assert_array_equal(data.features[rows], pair_features(u, v))
    np.testing.assert_array_equal(data.labels[rows], ordered["label"])
    assert data.splits["test"].tolist() == list(range(6, 12))


def test_tiny_encoder_end_to_end_encodes_each_sentence_once_through_the_cache(
    tiny_bert_path: Path, tmp_path: Path
) -> None:
    root = write_transfer_fixture(tmp_path / "downstream", per_class=20)
    encoder = Encoder.load(tiny_bert_path, pooling="cls")
    cache = EmbeddingCache(tmp_path / "cache")

    results = evaluate_transfer(encoder, root, folds=2, cache=cache, show_progress=False)

    assert list(results.columns) == RESULT_COLUMNS
    assert (results["category"] == "transfer").all()
    assert tuple(results["task"].unique()) == TRANSFER_TASKS
    metrics = results.groupby("task")["metric"].apply(tuple).to_dict()
    assert metrics["MRPC"] == ("accuracy", "dev_accuracy", "f1")
    assert metrics["MR"] == ("accuracy", "dev_accuracy")
    assert results["score"].between(0, 100).all()
    assert (cache.hits, cache.misses) == (0, 1)  # one entry: every distinct sentence, once

    again = evaluate_transfer(encoder, root, folds=2, cache=cache, show_progress=False)
    assert (cache.hits, cache.misses) == (1, 1)
    pd.testing.assert_frame_equal(results, again)


def test_bad_tasks_and_encoders_are_refused(tmp_path: Path) -> None:
    root = write_transfer_fixture(tmp_path, per_class=2)
    with pytest.raises(ValueError, match="unknown transfer task 'STS12'"):
        evaluate_transfer(lambda s: np.zeros((len(s), 2)), root, ["STS12"])
    with pytest.raises(ValueError, match="one row per sentence"):
        evaluate_transfer(lambda s: np.zeros((3, 2)), root, ["MR"])
