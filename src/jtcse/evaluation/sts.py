"""The STS evaluator, following SentEval's protocol as SimCSE runs it.

For every scored pair (s1, s2, gold) the system score is cos(e(s1), e(s2)); a task's result is
Spearman's rank correlation between system scores and gold scores, times 100:

- STS12..STS16: the "all" setting, one Spearman over all scored pairs of the year pooled
  across its sub-datasets (pairs with an empty gold line are dropped);
- STSBenchmark: the test split (1379 pairs); SICKRelatedness: the test split (4927 pairs);
- avg: the plain mean of the seven.

``STSBenchmark-dev`` (the dev split) is reported apart: it is the only score used for model
selection; test splits never are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jtcse.data.senteval import ALL_TASKS

# How an encoder is scored: sentences in, a float array out, row i for sentence i (such as the
# bound ``encode`` of a :class:`~jtcse.encoding.base.BaseEncoder`, or rows computed before).
EncodeFn = Callable[[Sequence[str]], np.ndarray]
TEST_SPLIT = {"STSBenchmark": "test", "SICKRelatedness": "test"}
DEV_KEY = "STSBenchmark-dev"
RESULT_KEYS = (*ALL_TASKS, "avg")


@dataclass(frozen=True)
class StsResult:
    """Spearman x 100 per task (``scores``, keys :data:`RESULT_KEYS`) and on STS-B dev."""

    scores: dict[str, float]
    dev: float | None

    def rounded(self) -> dict[str, float]:
        """The seven tasks and their mean, rounded to two decimals."""
        return {key: round(value, 2) for key, value in self.scores.items()}


def evaluation_pairs(table: pd.DataFrame, include_dev: bool = True) -> pd.DataFrame:
    """Select the scored pairs SentEval evaluates, with a ``key`` column naming the result.

    The keys are the task names for the test sets and :data:`DEV_KEY` for STS-B dev.
    """
    scored = table[table["score"].notna()]
    test_split = scored["task"].map(TEST_SPLIT).fillna("test")
    selected = scored[scored["split"] == test_split].assign(key=lambda frame: frame["task"])
    if include_dev:
        is_dev = (scored["task"] == "STSBenchmark") & (scored["split"] == "dev")
        selected = pd.concat([selected, scored[is_dev].assign(key=DEV_KEY)])
    missing = [task for task in ALL_TASKS if task not in set(selected["key"])]
    if missing:
        raise ValueError(f"the evaluation table has no scored test pairs for {missing}")
    return selected.reset_index(drop=True)


def pair_cosines(embeddings1: np.ndarray, embeddings2: np.ndarray) -> np.ndarray:
    """Row-wise cosine cos(u, v) = u.v / (|u| |v|), in float64."""
    u, v = embeddings1.astype(np.float64), embeddings2.astype(np.float64)
    norms = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    return np.sum(u * v, axis=1) / np.maximum(norms, 1e-12)


def spearman_x100(system: np.ndarray, gold: np.ndarray) -> float:
    """Spearman's rank correlation times 100: the Pearson correlation of the average ranks
    (ties share their mean rank), as ``scipy.stats.spearmanr`` computes it."""
    ranks_system = pd.Series(system).rank().to_numpy()
    ranks_gold = pd.Series(gold).rank().to_numpy()
    return float(np.corrcoef(ranks_system, ranks_gold)[0, 1] * 100.0)


def scored_pairs(pairs: pd.DataFrame, encode: EncodeFn) -> pd.DataFrame:
    """``pairs`` with a ``system`` column: cos(e(s1), e(s2)) of each pair, every distinct
    sentence encoded once (row i belongs to pair i)."""
    sentences = pd.unique(pd.concat([pairs["sentence1"], pairs["sentence2"]]))
    embeddings = encode(list(sentences))
    row_of = pd.Series(np.arange(len(sentences)), index=sentences)
    cosines = pair_cosines(
        embeddings[row_of[pairs["sentence1"]].to_numpy()],
        embeddings[row_of[pairs["sentence2"]].to_numpy()],
    )
    return pairs.assign(system=cosines)


def score_pairs(pairs: pd.DataFrame, encode: EncodeFn) -> dict[str, float]:
    """Encode each distinct sentence once and return Spearman x 100 per ``key`` of ``pairs``."""
    scored = scored_pairs(pairs, encode)
    return {
        key: spearman_x100(group["system"].to_numpy(), group["score"].to_numpy())
        for key, group in scored.groupby("key", sort=False)
    }


def evaluate_sts(table: pd.DataFrame, encode: EncodeFn, include_dev: bool = True) -> StsResult:
    """Evaluate an encoder on the seven STS tasks (and STS-B dev) of a tidy STS table.

    Args:
        table: rows ``task, subset, split, sentence1, sentence2, score`` (see
            :func:`jtcse.data.senteval.read_sts_tasks`).
        encode: maps a list of sentences to an array of embeddings, one row each.
        include_dev: also score the STS-B dev split.
    """
    by_key = score_pairs(evaluation_pairs(table, include_dev), encode)
    scores = {task: by_key[task] for task in ALL_TASKS}
    scores["avg"] = float(np.mean([scores[task] for task in ALL_TASKS]))
    return StsResult(scores=scores, dev=by_key.get(DEV_KEY))


def dev_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The scored STS-B dev pairs, keyed :data:`DEV_KEY` (for model selection during training)."""
    is_dev = (table["task"] == "STSBenchmark") & (table["split"] == "dev") & table["score"].notna()
    if not is_dev.any():
        raise ValueError("the evaluation table has no scored STS-B dev pairs")
    return table[is_dev].assign(key=DEV_KEY).reset_index(drop=True)


def format_table(rows: dict[str, StsResult]) -> str:
    """A Markdown table: one row per named result, columns the seven tasks, avg and dev."""
    header = ["model", *RESULT_KEYS, "STS-B dev"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, result in rows.items():
        dev = f"{result.dev:.2f}" if result.dev is not None else "-"
        cells = [f"{result.scores[key]:.2f}" for key in RESULT_KEYS]
        lines.append("| " + " | ".join([name, *cells, dev]) + " |")
    return "\n".join(lines)
