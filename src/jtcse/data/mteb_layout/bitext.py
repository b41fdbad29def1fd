"""Bitext mining: ``sentence1`` (the other language) and ``sentence2`` (English), line i of
one the translation of line i of the other."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jtcse.data.mteb_layout.files import MtebLayoutError, TaskData, lines


def tatoeba(root: Path) -> TaskData:
    """Subset ``xxx-eng`` per file pair ``tatoeba.xxx-eng.{xxx,eng}``; each line keeps its
    newline (as the Hub copy: its text lengths are one longer)."""
    folder = root / "mteb_style" / "tatoeba"
    sides = sorted(folder.glob("tatoeba.*-eng.eng"))
    if not sides:
        raise MtebLayoutError(f"{folder}: no tatoeba.xxx-eng.eng files")
    data: TaskData = {}
    for english_path in sides:
        pair = english_path.name.split(".")[1]  # "xxx-eng"
        other_path = folder / f"tatoeba.{pair}.{pair.split('-')[0]}"
        other, english = lines(other_path, keep_ends=True), lines(english_path, keep_ends=True)
        if len(other) != len(english):
            raise MtebLayoutError(
                f"{other_path}: {len(other)} lines, but {english_path.name} has {len(english)}"
            )
        data[pair] = {"test": pd.DataFrame({"sentence1": other, "sentence2": english})}
    return data
