"""SentEval's transfer tasks, with the protocol SimCSE's evaluation runs in its ``test`` mode.

The embeddings are frozen: every distinct sentence is encoded once (through the embedding
cache when a project encoder is given) and only a linear classifier is trained on them,
SentEval's PyTorch one (:mod:`jtcse.evaluation.linear_probe`: no hidden layer, Adam, batches
of 64, early stopping with tenacity 5 and epoch_size 4, at most 200 epochs), with its L2
penalty chosen from :data:`PENALTIES` (1e-5, 1e-4, 1e-3, 1e-2) and seed 1111 throughout.
The features of a sentence are its embedding u; MRPC's of a pair are ``[|u - v|, u * v]``.
:data:`TRANSFER_SPLITS` holds each task's split rule, which the code follows:

- ``outer_folds`` (MR, CR, SUBJ, MPQA): 10-fold stratified cross-validation over all samples
  (shuffled, seed 1111); in each training fold the penalty with the best mean accuracy over
  an inner 10-fold stratified split of that fold (same seed) is chosen, a classifier with it is
  trained on the whole training fold (5 % held out for early stopping) and scored on the test
  fold; accuracy = the mean over the 10 test folds;
- ``dev`` (SST2): one classifier per penalty trained on train, early-stopped on dev; the
  penalty of best dev accuracy is kept and its classifier scored on test;
- ``folds`` (TREC, MRPC): the penalty of best mean accuracy over a 10-fold stratified split of
  train; a classifier with it trained on all of train (5 % held out for early stopping) is
  scored on test (MRPC: accuracy and F1 of the paraphrase class).

Inner and cross-validated scores are means over folds; each is rounded to 2 decimals (x 100)
before the penalty of highest score (the first on a tie) is picked, as SentEval does. As in
SentEval, each split's samples are first put in SentEval's order (sorted, stably, by number of
tokens, then label; MRPC by the tokens of sentence 1, of sentence 2, then label), so the
shuffled folds are SentEval's folds. Scores are percentages with 2 decimals, like SentEval's
``acc`` (test) and ``devacc`` (``dev_accuracy``: the selection score).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from jtcse.data.senteval_transfer import TRANSFER_FILES, TRANSFER_TASKS, read_transfer_tasks
from jtcse.encoding.base import BaseEncoder
from jtcse.encoding.cache import EmbeddingCache
from jtcse.evaluation.linear_probe import ProbeFit, ProbeSettings, TrainedProbe, fit_probes
from jtcse.evaluation.sts import EncodeFn
from jtcse.tracking import log_metrics

PENALTIES = (1e-5, 1e-4, 1e-3, 1e-2)
FOLDS = 10
SEED = 1111
CATEGORY = "transfer"
RESULT_COLUMNS = ["task", "category", "metric", "score"]


@dataclass(frozen=True)
class SplitRule:
    """How a task is split: ``train`` is the split whose rows train the classifiers,
    ``select`` how the penalty is chosen (``inner_folds``: an inner k-fold split of each outer
    training fold; ``dev``: the dev split; ``folds``: a k-fold split of ``train``), ``test``
    where the chosen classifier is scored (``outer_folds`` or a split), ``classes`` the number
    of labels and ``pairs`` whether the features are a sentence pair's ``[|u - v|, u * v]``."""

    train: str
    select: str
    test: str
    classes: int
    pairs: bool = False


TRANSFER_SPLITS: dict[str, SplitRule] = {
    "MR": SplitRule(train="all", select="inner_folds", test="outer_folds", classes=2),
    "CR": SplitRule(train="all", select="inner_folds", test="outer_folds", classes=2),
    "SUBJ": SplitRule(train="all", select="inner_folds", test="outer_folds", classes=2),
    "MPQA": SplitRule(train="all", select="inner_folds", test="outer_folds", classes=2),
    "SST2": SplitRule(train="train", select="dev", test="test", classes=2),
    "TREC": SplitRule(train="train", select="folds", test="test", classes=6),
    "MRPC": SplitRule(train="train", select="folds", test="test", classes=2, pairs=True),
}


@dataclass(frozen=True)
class TaskData:
    """A task's features [rows, dimension] and labels, all splits stacked, each split's
    rows in SentEval's order; ``splits`` maps a split name to its rows."""

    features: np.ndarray
    labels: np.ndarray
    splits: dict[str, np.ndarray]


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, ...]]:
    """SentEval's ``StratifiedKFold(folds, shuffle=True, random_state=seed)`` splits of rows
    ``0 .. len(labels) - 1``: (training rows, test rows) per fold."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [tuple(split) for split in splitter.split(np.zeros(len(labels)), labels)]


def senteval_order(rows: pd.DataFrame) -> np.ndarray:
    """Positions of ``rows`` in SentEval's order: a stable sort by (tokens of sentence1,
    [tokens of sentence2,] label)."""
    lengths = [rows["sentence1"].str.split().str.len().to_numpy()]
    if rows["sentence2"].notna().any():
        lengths.append(rows["sentence2"].str.split().str.len().to_numpy())
    keys = list(zip(*lengths, rows["label"].to_numpy(), strict=True))
    return np.array(sorted(range(len(rows)), key=keys.__getitem__), dtype=np.int64)


def pair_features(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """SentEval's MRPC features of pairs (u, v): ``[|u - v|, u * v]`` [pairs, 2 x dimension]."""
    return np.concatenate([np.abs(first - second), first * second], axis=1)


def task_data(
    table: pd.DataFrame, task: str, embedding_of: Callable[[pd.Series], np.ndarray]
) -> TaskData:
    """The features and labels of one task of a :func:`read_transfer_tasks` table;
    ``embedding_of`` maps a column of sentences to their embeddings, row for row."""
    rows = table[table["task"] == task]
    parts, splits, start = [], {}, 0
    for split in TRANSFER_FILES[task].splits:
        part = rows[rows["split"] == split]
        if part.empty:
            raise ValueError(f"the transfer table has no {task} rows of split {split!r}")
        parts.append(part.iloc[senteval_order(part)])
        splits[split] = np.arange(start, start + len(part))
        start += len(part)
    ordered = pd.concat(parts)
    features = embedding_of(ordered["sentence1"])
    if TRANSFER_SPLITS[task].pairs:
        features = pair_features(features, embedding_of(ordered["sentence2"]))
    return TaskData(features, ordered["label"].to_numpy(dtype=np.int64), splits)


def _x100(accuracy: float) -> float:
    return round(100 * float(accuracy), 2)


def _best_penalty(scores: Sequence[float]) -> tuple[float, float]:
    """(penalty, score) of the highest score, the first one on a tie (``np.argmax``)."""
    best = int(np.argmax(scores))
    return PENALTIES[best], scores[best]


def _fold_scores(probes: Sequence[TrainedProbe], folds: int) -> list[float]:
    """Per penalty (probes ordered penalty-major), the mean validation accuracy x 100 over
    its folds, rounded to 2 decimals."""
    return [
        _x100(np.mean([probe.valid_accuracy for probe in probes[start : start + folds]]))
        for start in range(0, len(probes), folds)
    ]


class _Runner:
    """Trains a task's classifiers with one progress bar per batch of fits."""

    def __init__(
        self,
        data: TaskData,
        rule: SplitRule,
        settings: ProbeSettings,
        task: str,
        show_progress: bool,
    ) -> None:
        self.data, self.rule, self.settings = data, rule, settings
        self.task, self.show_progress = task, show_progress

    def fit(self, fits: list[ProbeFit]) -> list[TrainedProbe]:
        with tqdm(
            total=len(fits),
            desc=f"{self.task} classifiers",
            unit="fit",
            disable=not self.show_progress,
        ) as bar:
            return fit_probes(
                self.data.features,
                self.data.labels,
                self.rule.classes,
                fits,
                self.settings,
                on_done=bar.update,
            )

    def score(self, probe: TrainedProbe, rows: np.ndarray) -> float:
        return _x100(probe.accuracy(self.data.features[rows], self.data.labels[rows]))


def _outer_folds(runner: _Runner, folds: int) -> dict[str, float]:
    data, seed = runner.data, runner.settings.seed
    outer = stratified_folds(data.labels, folds, seed)
    inner_fits = []
    for train, _ in outer:
        inner = stratified_folds(data.labels[train], folds, seed)
        inner_fits += [
            ProbeFit(train[inner_train], l2, train[inner_test])
            for l2 in PENALTIES
            for inner_train, inner_test in inner
        ]
    inner_probes = runner.fit(inner_fits)
    per_fold = len(PENALTIES) * folds
    chosen = [
        _best_penalty(_fold_scores(inner_probes[index * per_fold : (index + 1) * per_fold], folds))
        for index in range(len(outer))
    ]
    final = runner.fit(
        [ProbeFit(train, l2) for (train, _), (l2, _) in zip(outer, chosen, strict=True)]
    )
    tests = [runner.score(probe, test) for probe, (_, test) in zip(final, outer, strict=True)]
    return {
        "accuracy": round(float(np.mean(tests)), 2),
        "dev_accuracy": round(float(np.mean([score for _, score in chosen])), 2),
    }


def _dev(runner: _Runner) -> dict[str, float]:
    splits = runner.data.splits
    probes = runner.fit([ProbeFit(splits["train"], l2, splits["dev"]) for l2 in PENALTIES])
    scores = [_x100(probe.valid_accuracy) for probe in probes]
    l2, dev = _best_penalty(scores)
    # SentEval retrains with the chosen penalty on the same rows and seed: the same classifier.
    test = runner.score(probes[PENALTIES.index(l2)], splits["test"])
    return {"accuracy": test, "dev_accuracy": dev}


def _folds(runner: _Runner, folds: int) -> dict[str, float]:
    data, rule = runner.data, runner.rule
    train, test = data.splits[rule.train], data.splits[rule.test]
    split = stratified_folds(data.labels[train], folds, runner.settings.seed)
    probes = runner.fit(
        [
            ProbeFit(train[fold_train], l2, train[fold_test])
            for l2 in PENALTIES
            for fold_train, fold_test in split
        ]
    )
    l2, dev = _best_penalty(_fold_scores(probes, folds))
    (final,) = runner.fit([ProbeFit(train, l2)])
    scores = {"accuracy": runner.score(final, test), "dev_accuracy": dev}
    if rule.pairs:
        predicted = final.predict(data.features[test])
        scores["f1"] = _x100(f1_score(data.labels[test], predicted))
    return scores


def evaluate_task(
    data: TaskData,
    task: str,
    folds: int = FOLDS,
    settings: ProbeSettings | None = None,
    show_progress: bool = False,
) -> dict[str, float]:
    """One task's scores (x 100, 2 decimals) by its rule in :data:`TRANSFER_SPLITS`:
    ``accuracy`` (test), ``dev_accuracy`` (the penalty's selection score) and, for MRPC,
    ``f1``."""
    rule = TRANSFER_SPLITS[task]
    runner = _Runner(data, rule, settings or ProbeSettings(seed=SEED), task, show_progress)
    if rule.select == "inner_folds":
        return _outer_folds(runner, folds)
    if rule.select == "dev":
        return _dev(runner)
    return _folds(runner, folds)


def _embedding_lookup(
    table: pd.DataFrame,
    encoder: BaseEncoder | EncodeFn,
    batch_size: int,
    cache: EmbeddingCache | None,
    show_progress: bool,
) -> Callable[[pd.Series], np.ndarray]:
    """Encode every distinct sentence of ``table`` once; return a column -> rows lookup."""
    sentences = list(pd.unique(pd.concat([table["sentence1"], table["sentence2"].dropna()])))
    if isinstance(encoder, BaseEncoder):
        embeddings = encoder.encode(sentences, batch_size, show_progress=show_progress, cache=cache)
    else:
        embeddings = np.asarray(encoder(sentences), dtype=np.float32)
    if embeddings.ndim != 2 or len(embeddings) != len(sentences):
        raise ValueError(
            f"the encoder returned an array of shape {embeddings.shape} for {len(sentences)} "
            "sentences; expected one row per sentence"
        )
    row_of = pd.Series(np.arange(len(sentences)), index=sentences)
    return lambda column: embeddings[row_of[column.to_list()].to_numpy()]


def evaluate_transfer(
    encoder: BaseEncoder | EncodeFn,
    data: pd.DataFrame | Path | str,
    tasks: Sequence[str] | None = None,
    *,
    folds: int = FOLDS,
    seed: int = SEED,
    cache: EmbeddingCache | None = None,
    batch_size: int = 128,
    show_progress: bool = True,
    log_prefix: str = "transfer.",
) -> pd.DataFrame:
    """Score an encoder on SentEval's transfer tasks (see the module for the protocol).

    Args:
        encoder: a project encoder (:class:`~jtcse.encoding.base.BaseEncoder`, encoded with
            ``cache``) or a function mapping a list of sentences to float embeddings, one row
            each.
        data: the table of :func:`~jtcse.data.senteval_transfer.read_transfer_tasks`, or the
            SentEval ``downstream`` folder to read it from.
        tasks: task names among :data:`TRANSFER_TASKS` (default: all seven).
        folds: k of every k-fold split (SimCSE's ``test`` mode: 10).
        seed: the seed of the folds and the classifiers (SentEval's 1111).
        cache: the embedding cache for a project encoder.
        batch_size: sentences per encoding batch.
        show_progress: tqdm bars for encoding and for each batch of classifiers.
        log_prefix: each score is logged to the active MLflow run, if any, as
            ``<log_prefix><task>.<metric>``.

    Returns:
        A DataFrame with columns ``task, category, metric, score``: category ``transfer``,
        metric ``accuracy`` (SentEval's test ``acc``), ``dev_accuracy`` (its ``devacc``) and
        MRPC's ``f1``; scores in 0-100 with 2 decimals.
    """
    wanted = list(tasks) if tasks is not None else list(TRANSFER_TASKS)
    unknown = [task for task in wanted if task not in TRANSFER_SPLITS]
    if unknown:
        raise ValueError(
            f"unknown transfer task {unknown[0]!r}; expected one of {', '.join(TRANSFER_TASKS)}"
        )
    table = data if isinstance(data, pd.DataFrame) else read_transfer_tasks(data, wanted)
    table = table[table["task"].isin(wanted)]
    embedding_of = _embedding_lookup(table, encoder, batch_size, cache, show_progress)
    settings = ProbeSettings(seed=seed)
    records = []
    for task in wanted:
        scores = evaluate_task(
            task_data(table, task, embedding_of), task, folds, settings, show_progress
        )
        log_metrics({f"{task}.{metric}": score for metric, score in scores.items()}, log_prefix)
        records += [(task, CATEGORY, metric, score) for metric, score in scores.items()]
    return pd.DataFrame(records, columns=RESULT_COLUMNS)
