"""STS tasks: ``sentence1``, ``sentence2`` and ``score`` per pair (mteb correlates the cosine
with the score, Spearman)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from jtcse.data.mteb_layout.files import (
    MtebLayoutError,
    TaskData,
    lines,
    score,
    scores,
    tab_rows,
)
from jtcse.data.senteval import SICK_SPLIT_FILES, STS_YEAR_SUBSETS


def pairs_table(
    sentence1: list[str], sentence2: list[str], values: list[float], path: Path
) -> pd.DataFrame:
    """The three columns, or MtebLayoutError when their lengths differ."""
    if not len(sentence1) == len(sentence2) == len(values):
        raise MtebLayoutError(
            f"{path}: {len(sentence1)} first sentences, {len(sentence2)} second sentences and "
            f"{len(values)} scores"
        )
    return pd.DataFrame({"sentence1": sentence1, "sentence2": sentence2, "score": values})


def sts17(root: Path) -> TaskData:
    """Subset ``en-en`` only (SemEval-2017 track 5)."""
    folder = root / "mteb_style" / "sts17_en_en"
    path = folder / "STS.input.track5.en-en.txt"
    pairs = [line.split("\t") for line in lines(path)]
    bad = next((number for number, pair in enumerate(pairs, 1) if len(pair) != 2), None)
    if bad is not None:
        raise MtebLayoutError(f"{path}:{bad}: expected 2 tab-separated sentences")
    gold = scores(folder / "STS.gs.track5.en-en.txt")
    table = pairs_table([p[0] for p in pairs], [p[1] for p in pairs], gold, path)
    return {"en-en": {"test": table}}


def biosses(root: Path) -> TaskData:
    """Sentence pairs on consecutive lines, one score a line."""
    folder = root / "mteb_style" / "biosses"
    path = folder / "biosses_sentence_pairs_test_derived_from_github.txt"
    sentences = lines(path)
    if len(sentences) % 2:
        raise MtebLayoutError(f"{path}: {len(sentences)} lines, not two per pair")
    gold = scores(folder / "annotation_scores_from_github.txt")
    return {"default": {"test": pairs_table(sentences[0::2], sentences[1::2], gold, path)}}


def sts_year(task: str) -> Callable[[Path], TaskData]:
    """The reader of one STS year: its SentEval sub-datasets' scored pairs, pooled into
    ``test``, lines as in the files (no whitespace normalisation: the Hub copy keeps them)."""

    def read(root: Path) -> TaskData:
        folder = root / "senteval" / "STS" / f"{task}-en-test"
        sentence1, sentence2, values = [], [], []
        for subset in STS_YEAR_SUBSETS[task]:
            gold_path = folder / f"STS.gs.{subset}.txt"
            pairs = tab_rows(folder / f"STS.input.{subset}.txt", 2, skip_blank=False)
            golds = lines(gold_path)
            for index, (_, pair) in enumerate(pairs):
                if index < len(golds) and golds[index].strip():  # unscored pairs are dropped
                    sentence1.append(pair[0])
                    sentence2.append(pair[1])
                    values.append(score(golds[index], gold_path, index + 1))
        return {"default": {"test": pairs_table(sentence1, sentence2, values, folder)}}

    return read


def _columns_table(
    rows: list[tuple[int, list[str]]], columns: tuple[int, int, int], path: Path
) -> pd.DataFrame:
    """Sentence 1, sentence 2 and score from the given field positions of each row."""
    first, second, value = columns
    values = [score(row[value], path, number) for number, row in rows]
    return pairs_table([r[first] for _, r in rows], [r[second] for _, r in rows], values, path)


def sts_benchmark(root: Path) -> TaskData:
    """The untokenised originals: train, validation (``sts-dev.csv``), test."""
    folder = root / "sts_original" / "stsbenchmark"
    splits = {}
    for name, split in (("train", "train"), ("dev", "validation"), ("test", "test")):
        path = folder / f"sts-{name}.csv"
        splits[split] = _columns_table(tab_rows(path, 7), (5, 6, 4), path)
    return {"default": splits}


def sick_r(root: Path) -> TaskData:
    """All 9,927 pairs (train + trial + test) as ``test``, untokenised (SentEval and SimCSE
    score the 4,927 test pairs only)."""
    tables = []
    for name in SICK_SPLIT_FILES.values():
        path = root / "senteval" / "SICK" / name
        tables.append(_columns_table(tab_rows(path, 4, header=True), (1, 2, 3), path))
    return {"default": {"test": pd.concat(tables, ignore_index=True)}}
