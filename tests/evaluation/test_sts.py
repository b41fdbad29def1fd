"""Tests of the STS evaluator (jtcse.evaluation.sts) and the encoder suite
(jtcse.evaluation.suite).

The evaluator tests use a hand-made table and an ``encode`` function that looks sentences up
in a dict of 2-d vectors chosen so that each pair's cosine is a value picked here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from jtcse.data.senteval import ALL_TASKS, COLUMNS, EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import Encoder
from jtcse.evaluation.sts import (
    DEV_KEY,
    RESULT_KEYS,
    StsResult,
    dev_pairs,
    evaluate_sts,
    evaluation_pairs,
    format_table,
    pair_cosines,
    spearman_x100,
)
from jtcse.evaluation.suite import evaluate_encoders, results_as_records
from tests.fixtures.senteval import write_senteval_fixture

SHARED_SENTENCE = "a man is playing a guitar ."
NAN = math.nan


class HandMadeTable:
    """Rows of a tidy STS table plus the 2-d vector of every sentence.

    A pair with cosine c at angle phi gets u = (cos phi, sin phi) and
    v = s (cos(phi + theta), sin(phi + theta)) with cos theta = c and a length s != 1, so only a
    true cosine (not a dot product) recovers c, and misaligned rows give other values.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, float]] = []
        self.vectors: dict[str, np.ndarray] = {}

    def add(
        self,
        task: str,
        subset: str,
        split: str,
        cosines: Sequence[float],
        golds: Sequence[float],
        shared_first: bool = False,
    ) -> None:
        for index, (cosine, gold) in enumerate(zip(cosines, golds, strict=True)):
            phi = 0.0 if shared_first else 0.3 * (len(self.rows) + 1)
            theta = math.acos(cosine)
            first = SHARED_SENTENCE if shared_first else f"{task} {subset} {split} first {index}"
            second = f"{task} {subset} {split} second {index}"
            self.vectors[first] = np.array([math.cos(phi), math.sin(phi)])
            self.vectors[second] = (2.0 + index) * np.array(
                [math.cos(phi + theta), math.sin(phi + theta)]
            )
            self.rows.append((task, subset, split, first, second, gold))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)

    def expected_spearman(self, task: str, split: str) -> float:
        """Spearman x 100 over the scored rows of ``task``/``split``, cosines from the vectors."""
        system, gold = [], []
        for row_task, _, row_split, first, second, score in self.rows:
            if row_task == task and row_split == split and not math.isnan(score):
                u, v = self.vectors[first], self.vectors[second]
                system.append(float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v)))
                gold.append(score)
        return float(spearmanr(system, gold).statistic) * 100.0


class RecordingEncode:
    """A real encode function: a dict lookup that records the sentences it was asked for."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors
        self.calls: list[list[str]] = []

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        self.calls.append(list(sentences))
        return np.stack([self.vectors[sentence] for sentence in sentences]).astype(np.float32)


def _hand_made_table() -> HandMadeTable:
    table = HandMadeTable()
    # STS12: each sub-dataset alone is perfectly ranked (Spearman 100), pooled it is not.
    table.add("STS12", "MSRpar", "test", [0.1, 0.2, 0.3], [3.0, 4.0, 5.0])
    table.add("STS12", "MSRvid", "test", [0.4, 0.5, 0.6, 0.95], [0.0, 1.0, 2.0, NAN])
    table.add("STS13", "FNWN", "test", [0.2, 0.7, 0.4], [1.0, 4.5, 2.0], shared_first=True)
    table.add("STS13", "OnWN", "test", [0.9, 0.1], [0.5, 0.2])
    table.add("STS14", "images", "test", [0.3, 0.6, 0.2, 0.8], [2.0, 2.5, 4.0, 3.0], True)
    table.add("STS15", "belief", "test", [0.5, 0.4, 0.9, 0.1, 0.3], [1.0, 3.0, 2.0, NAN, 0.0])
    table.add("STS15", "images", "test", [0.6, 0.7], [4.0, 3.5])
    table.add("STS16", "headlines", "test", [0.15, 0.25, 0.85], [5.0, 1.0, 3.0])
    table.add("STSBenchmark", "STSBenchmark", "train", [0.1, 0.99], [5.0, 0.0])
    table.add("STSBenchmark", "STSBenchmark", "dev", [0.3, 0.6, 0.8, 0.2], [3.0, 1.0, 2.0, 4.0])
    table.add("STSBenchmark", "STSBenchmark", "test", [0.1, 0.5, 0.9, 0.3], [1.0, 2.0, 3.0, 4.0])
    table.add("SICKRelatedness", "SICK", "train", [0.05, 0.95], [5.0, 1.0])
    table.add("SICKRelatedness", "SICK", "trial", [0.02, 0.97], [4.9, 1.1])
    table.add("SICKRelatedness", "SICK", "test", [0.2, 0.4, 0.6, 0.7], [1.5, 4.0, 3.0, 4.5])
    return table


def test_sts_years_use_the_pooled_all_setting() -> None:
    table = _hand_made_table()
    frame = table.frame()
    per_subset = [
        spearman_x100(
            pair_cosines(
                np.stack([table.vectors[s] for s in rows["sentence1"]]),
                np.stack([table.vectors[s] for s in rows["sentence2"]]),
            ),
            rows["score"].to_numpy(),
        )
        for _, rows in frame[(frame["task"] == "STS12") & frame["score"].notna()].groupby("subset")
    ]

    result = evaluate_sts(frame, RecordingEncode(table.vectors))

    assert per_subset == pytest.approx([100.0, 100.0])
    assert result.scores["STS12"] == pytest.approx(100.0 * (1.0 - 6.0 * 54.0 / (6.0 * 35.0)))
    assert result.scores["STS12"] == pytest.approx(table.expected_spearman("STS12", "test"))


def test_every_task_and_the_average_match_independent_spearmans() -> None:
    table = _hand_made_table()

    result = evaluate_sts(table.frame(), RecordingEncode(table.vectors))

    expected = {task: table.expected_spearman(task, "test") for task in ALL_TASKS}
    assert tuple(result.scores) == RESULT_KEYS
    assert {task: result.scores[task] for task in ALL_TASKS} == pytest.approx(expected, abs=1e-9)
    assert result.scores["avg"] == pytest.approx(sum(expected.values()) / 7, abs=1e-9)
    assert all(math.isfinite(value) for value in result.scores.values())


def test_stsb_and_sick_use_only_their_test_split_and_dev_is_apart() -> None:
    table = _hand_made_table()
    test_only = HandMadeTable()
    test_only.rows = [row for row in table.rows if row[2] == "test"]
    test_only.vectors = table.vectors

    result = evaluate_sts(table.frame(), RecordingEncode(table.vectors))
    without_other_splits = evaluate_sts(test_only.frame(), RecordingEncode(table.vectors))

    assert result.scores == without_other_splits.scores
    assert DEV_KEY not in result.scores
    assert result.dev == pytest.approx(table.expected_spearman("STSBenchmark", "dev"))
    assert without_other_splits.dev is None
    # The other splits would change the scores if they were mixed in.
    for task in ("STSBenchmark", "SICKRelatedness"):
        rows = [row for row in table.rows if row[0] == task]
        everything = HandMadeTable()
        everything.vectors = table.vectors
        everything.rows = [(*row[:2], "test", *row[3:]) for row in rows]
        assert everything.expected_spearman(task, "test") != pytest.approx(result.scores[task])


def test_each_distinct_needed_sentence_is_encoded_exactly_once() -> None:
    table = _hand_made_table()
    frame = table.frame()
    encode = RecordingEncode(table.vectors)

    evaluate_sts(frame, encode)

    assert len(encode.calls) == 1
    encoded = encode.calls[0]
    assert len(encoded) == len(set(encoded))
    needed = frame[
        frame["score"].notna()
        & (
            (frame["split"] == "test")
            | ((frame["task"] == "STSBenchmark") & (frame["split"] == "dev"))
        )
    ]
    assert set(encoded) == set(needed["sentence1"]) | set(needed["sentence2"])
    assert (frame["sentence1"] == SHARED_SENTENCE).sum() == 7


def test_include_dev_false_skips_the_dev_split() -> None:
    table = _hand_made_table()
    encode = RecordingEncode(table.vectors)

    result = evaluate_sts(table.frame(), encode, include_dev=False)

    assert result.dev is None
    assert not any(" dev " in sentence for sentence in encode.calls[0])


def test_a_task_without_scored_test_pairs_is_an_error() -> None:
    table = _hand_made_table()
    frame = table.frame()
    frame.loc[frame["task"] == "STS16", "score"] = NAN
    frame = frame[frame["task"] != "SICKRelatedness"]

    with pytest.raises(
        ValueError, match=r"no scored test pairs for \['STS16', 'SICKRelatedness'\]"
    ):
        evaluate_sts(frame, RecordingEncode(table.vectors))


def test_dev_pairs_selects_the_scored_stsb_dev_rows() -> None:
    frame = _hand_made_table().frame()
    frame.loc[len(frame)] = ["STSBenchmark", "STSBenchmark", "dev", "x", "y", NAN]

    pairs = dev_pairs(frame)

    assert set(pairs["key"]) == {DEV_KEY}
    assert pairs["score"].tolist() == [3.0, 1.0, 2.0, 4.0]
    assert list(pairs.columns) == [*frame.columns, "key"]
    assert pairs.index.equals(pd.RangeIndex(4))
    with pytest.raises(ValueError) as error:
        dev_pairs(frame[frame["split"] != "dev"])
    assert str(error.value) == "the evaluation table has no scored STS-B dev pairs"


def test_evaluation_pairs_are_renumbered_with_only_a_key_added() -> None:
    frame = _hand_made_table().frame()

    pairs = evaluation_pairs(frame.iloc[::-1])

    assert list(pairs.columns) == [*frame.columns, "key"]
    assert pairs.index.equals(pd.RangeIndex(len(pairs)))


def test_pair_cosines_match_the_formula() -> None:
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(5, 7)).astype(np.float32), rng.normal(size=(5, 7)).astype(np.float32)
    u[4] = 0.0

    cosines = pair_cosines(u, v)

    for row in range(4):
        a, b = u[row].tolist(), v[row].tolist()
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
        assert cosines[row] == pytest.approx(dot / norm, abs=1e-12)
    assert cosines[4] == 0.0 and cosines.dtype == np.float64


def test_pair_cosines_of_short_vectors_are_not_damped() -> None:
    u = np.array([[3e-4, 4e-4]], dtype=np.float32)
    v = np.array([[4e-4, 3e-4]], dtype=np.float32)
    assert pair_cosines(u, v)[0] == pytest.approx(24 / 25, rel=1e-6)


def test_spearman_x100() -> None:
    assert spearman_x100(np.array([0.1, 0.5, 0.3]), np.array([1.0, 3.0, 2.0])) == pytest.approx(100)
    assert spearman_x100(np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(
        -100
    )
    # ranks (1, 2, 3, 4) vs (2, 1, 4, 3): 1 - 6 * 4 / (4 * 15) = 0.6
    assert spearman_x100(np.arange(4.0), np.array([2.0, 1.0, 4.0, 3.0])) == pytest.approx(60.0)


def _result(offset: float, dev: float | None) -> StsResult:
    scores = {key: 70.0 + offset + index / 3 for index, key in enumerate(RESULT_KEYS)}
    return StsResult(scores=scores, dev=dev)


def test_format_table_is_a_markdown_table() -> None:
    results = {"tower 1": _result(0.0, 81.2345), "ensemble": _result(1.0, None)}

    lines = format_table(results).split("\n")

    assert lines[0] == (
        "| model | STS12 | STS13 | STS14 | STS15 | STS16 | STSBenchmark | SICKRelatedness | avg "
        "| STS-B dev |"
    )
    assert lines[1] == "|" + "---|" * 10
    assert lines[2] == (
        "| tower 1 | 70.00 | 70.33 | 70.67 | 71.00 | 71.33 | 71.67 | 72.00 | 72.33 | 81.23 |"
    )
    assert lines[3] == (
        "| ensemble | 71.00 | 71.33 | 71.67 | 72.00 | 72.33 | 72.67 | 73.00 | 73.33 | - |"
    )
    assert len(lines) == 4


def test_rounded_and_records_keys() -> None:
    results = {"tower": _result(0.0, 81.2345), "no dev": _result(0.0, None)}

    records = results_as_records(results)

    assert tuple(results["tower"].rounded()) == RESULT_KEYS
    assert list(records) == ["tower", "no dev"]
    assert tuple(records["tower"]) == (*RESULT_KEYS, "STSBenchmark-dev")
    assert records["tower"]["STS13"] == 70.33 and records["tower"]["STSBenchmark-dev"] == 81.23
    assert records["no dev"]["STSBenchmark-dev"] is None


@pytest.fixture(scope="module")
def fixture_table(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    root = write_senteval_fixture(tmp_path_factory.mktemp("suite") / "senteval")
    return read_sts_tasks(root, splits=EVALUATION_SPLITS)


def test_evaluate_encoders_on_tiny_models(
    fixture_table: pd.DataFrame, tiny_bert_path: Path, tiny_bert_path_b: Path
) -> None:
    specs = {
        "tower": {"models": [str(tiny_bert_path)]},
        "pair": {"models": [str(tiny_bert_path), str(tiny_bert_path_b)], "pooling": "mean"},
    }

    results = evaluate_encoders(fixture_table, specs, batch_size=16)

    tower = evaluate_sts(fixture_table, Encoder.load(tiny_bert_path).encode)
    pair = evaluate_sts(
        fixture_table, Encoder.load([tiny_bert_path, tiny_bert_path_b], pooling="mean").encode
    )
    assert list(results) == ["tower", "pair"]
    assert results["tower"].scores == pytest.approx(tower.scores, abs=1e-6)
    assert results["pair"].scores == pytest.approx(pair.scores, abs=1e-6)
    assert results["pair"].dev == pytest.approx(pair.dev, abs=1e-6)
    assert results["tower"].scores != pytest.approx(pair.scores, abs=1e-6)
    assert all(math.isfinite(value) for value in results["tower"].scores.values())


@pytest.mark.parametrize("spec", [{"pooling": "cls"}, {"models": ["x"], "layers": 2}])
def test_evaluate_encoders_rejects_bad_specs(fixture_table: pd.DataFrame, spec: dict) -> None:
    with pytest.raises(ValueError, match=r"evaluation\.encoders\.bad: expected keys 'models'"):
        evaluate_encoders(fixture_table, {"bad": spec})
