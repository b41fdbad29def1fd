"""Retrieval tasks, in the BEIR layout mteb reads: configs ``corpus`` (``id``, ``title``,
``text``; mteb embeds a document as ``title + " " + text``), ``queries`` (``id``, ``text``) and
``default`` (the qrels: ``query-id``, ``corpus-id``, ``score``), each with a ``test`` split."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jtcse.data.mteb_layout.files import MtebLayoutError, TaskData, read_jsonl, tab_rows


def scifact(root: Path) -> TaskData:
    """SciFact (BEIR): the derived ``corpus``/``queries`` JSONL and ``qrels_test`` TSV (the 300
    SciFact dev claims are mteb's test queries)."""
    folder = root / "mteb_style" / "scifact"
    corpus = read_jsonl(folder / "corpus.derived.jsonl", required=("_id", "title", "text"))
    queries = read_jsonl(folder / "queries.derived.jsonl", required=("_id", "text"))
    qrels_path = folder / "qrels_test.derived.tsv"
    qrels = tab_rows(qrels_path, 3, header=True)
    try:
        relevance = [int(row[2]) for _, row in qrels]
    except ValueError:
        bad = next(number for number, row in qrels if not row[2].strip().isdigit())
        raise MtebLayoutError(f"{qrels_path}:{bad}: score is not an integer") from None
    return {
        "corpus": {
            "test": pd.DataFrame(
                {
                    "id": [str(row["_id"]) for row in corpus],
                    "title": [row["title"] for row in corpus],
                    "text": [row["text"] for row in corpus],
                }
            )
        },
        "queries": {
            "test": pd.DataFrame(
                {"id": [str(row["_id"]) for row in queries], "text": [r["text"] for r in queries]}
            )
        },
        "default": {
            "test": pd.DataFrame(
                {
                    "query-id": [row[0] for _, row in qrels],
                    "corpus-id": [row[1] for _, row in qrels],
                    "score": relevance,
                }
            )
        },
    }
