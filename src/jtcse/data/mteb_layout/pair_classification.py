"""Pair classification: ``sentence1``, ``sentence2`` and ``labels`` (1 = positive; mteb scores
the cosine of each pair by average precision, ``max_ap``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jtcse.data.mteb_layout.files import MtebLayoutError, TaskData, tab_rows


def _labelled_pairs(path: Path, header: bool) -> pd.DataFrame:
    rows = tab_rows(path, 3, header=header)
    bad = next((number for number, row in rows if row[2].strip() not in {"0", "1"}), None)
    if bad is not None:
        raise MtebLayoutError(f"{path}:{bad}: label is not 0 or 1")
    return pd.DataFrame(
        {
            "sentence1": [row[0] for _, row in rows],
            "sentence2": [row[1] for _, row in rows],
            "labels": [int(row[2]) for _, row in rows],
        }
    )


def pawsx_en(root: Path) -> TaskData:
    """PAWS-X English, subset ``en``: ``test`` from ``test-en.derived.tsv`` (its labels looked up
    in PAWS-Wiki's dev set), ``validation`` from ``dev-en.tsv`` (no header)."""
    folder = root / "mteb_style" / "pawsx_en"
    return {
        "en": {
            "test": _labelled_pairs(folder / "test-en.derived.tsv", header=True),
            "validation": _labelled_pairs(folder / "dev-en.tsv", header=False),
        }
    }
