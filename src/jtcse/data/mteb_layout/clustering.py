"""Clustering tasks: ``sentences`` and ``labels``, one document a row; in mteb's legacy format
(MasakhaNEWS), one cluster *set* a row, each cell a list. mteb clusters the embeddings with
k-means (as many clusters as labels) and scores the V-measure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jtcse.data.mteb_layout.files import TaskData, label_ids, lines, read_csv, read_jsonl

SIB200_SPLITS = {"train": "train", "validation": "dev", "test": "test"}
# MasakhaNEWS' label ids: the position in its seven-category list (English lacks religion)
MASAKHANEWS_LABELS = (
    "business",
    "entertainment",
    "health",
    "politics",
    "religion",
    "sports",
    "technology",
)


def sib200_eng(root: Path) -> TaskData:
    """SIB-200 English, subset ``eng_Latn``: splits ``train``, ``validation`` (``dev.tsv``) and
    ``test`` with ``index_id``, ``category`` and ``text`` (CSV quoting); mteb's task joins the
    three into one ``test`` set and numbers the categories alphabetically."""
    folder = root / "mteb_style" / "sib200_eng"
    splits = {}
    for split, name in SIB200_SPLITS.items():
        rows = read_csv(folder / f"{name}.tsv", "\t", required=("index_id", "category", "text"))
        splits[split] = pd.DataFrame(
            {
                "index_id": [int(row["index_id"]) for row in rows],
                "category": [row["category"] for row in rows],
                "text": [row["text"] for row in rows],
            }
        )
    return {"eng_Latn": splits}


def _masakhanews(root: Path, headline_only: bool) -> TaskData:
    """MasakhaNEWS English, subset ``eng``: a document is the ``headline`` (S2S) or
    ``headline + " " + text`` (P2P), all 948 in one cluster set. (The Hub copy's sets are not
    known: its statistics count all texts at once. One set reproduces the public S2S score of
    all-MiniLM-L6-v2 within 0.004; cuts into 2, 5 or 10 sets, consecutive or shuffled, move
    it by up to 0.2 either way: ``benchmarks/results/zero_shot/public_scores.md``.)"""
    folder = root / "mteb_style" / "masakhanews_eng"
    path = folder / "test.tsv"
    rows = read_csv(path, "\t", required=("category", "headline", "text"))
    known = set(lines(folder / "labels.txt"))
    ids = {name: index for index, name in enumerate(MASAKHANEWS_LABELS) if name in known}
    labels = label_ids(rows, path, "category", ids)
    texts = [
        row["headline"] if headline_only else f"{row['headline']} {row['text']}" for row in rows
    ]
    return {"eng": {"test": pd.DataFrame({"sentences": [texts], "labels": [labels]})}}


def masakhanews_s2s(root: Path) -> TaskData:
    """MasakhaNEWSClusteringS2S (eng): headlines."""
    return _masakhanews(root, headline_only=True)


def masakhanews_p2p(root: Path) -> TaskData:
    """MasakhaNEWSClusteringP2P (eng): headline and body."""
    return _masakhanews(root, headline_only=False)


def clustrec_covid(root: Path) -> TaskData:
    """ClusTREC-Covid: subsets ``title and abstract`` (``(title + " " + abstract).strip()``)
    and ``title``; the label is the topic name."""
    path = root / "mteb_style" / "clustrec_covid" / "clustrec_covid.jsonl"
    rows = read_jsonl(path, required=("topic_name", "title", "abstract"))
    labels = [row["topic_name"] for row in rows]
    texts = {
        "title and abstract": [f"{row['title']} {row['abstract']}".strip() for row in rows],
        "title": [row["title"] for row in rows],
    }
    return {
        subset: {"test": pd.DataFrame({"sentences": sentences, "labels": labels})}
        for subset, sentences in texts.items()
    }
