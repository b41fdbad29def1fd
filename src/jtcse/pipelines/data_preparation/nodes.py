"""Nodes of the ``data_preparation`` pipeline."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jtcse.data.corpus import CorpusFilter, prepare_corpus
from jtcse.tracking import log_metrics


def build_sts_table(sts_raw: pd.DataFrame) -> pd.DataFrame:
    """Keep the SentEval table as the project's evaluation set.

    Args:
        sts_raw: every STS/SICK pair read from the SentEval folder.

    Returns:
        The tidy table ``task, subset, split, sentence1, sentence2, score``; its pair counts
        per task and split are logged to MLflow.
    """
    counts = sts_raw.groupby(["task", "split"])["score"].count()
    log_metrics({f"{task}.{split}": n for (task, split), n in counts.items()}, "pairs.")
    return sts_raw


def build_training_corpus(
    corpus_text: str, sts_pairs: pd.DataFrame, corpus_params: dict[str, Any]
) -> tuple[str, dict[str, int]]:
    """Clean, de-duplicate, decontaminate and optionally subsample the training corpus.

    Args:
        corpus_text: the raw corpus, one sentence per line.
        sts_pairs: the evaluation table; none of its sentences may be trained on.
        corpus_params: ``min_words``, ``max_words``, ``max_sentences``, ``seed``.

    Returns:
        The corpus (one sentence per line) and the count of each drop reason.
    """
    evaluation_sentences = pd.concat([sts_pairs["sentence1"], sts_pairs["sentence2"]])
    sentences, counts = prepare_corpus(
        corpus_text.splitlines(), evaluation_sentences, CorpusFilter(**corpus_params)
    )
    log_metrics(counts, "corpus.")
    return "".join(sentence + "\n" for sentence in sentences), counts
