"""Read the SentEval layout of the STS evaluation sets into one tidy table.

The layout is SentEval's ``data/downstream`` folder (``STS/STS1x-en-test``, ``STS/STSBenchmark``,
``SICK``). Sentences are SentEval's whitespace tokens re-joined with single spaces, exactly as
SimCSE's copy of SentEval feeds them to a model. Every row of the table is one sentence pair:

    task, subset, split, sentence1, sentence2, score

``score`` is NaN where the gold file has an empty line (an unscored pair, which SentEval drops).
A missing file, a malformed line or a score that is not a number raises :class:`SentEvalFormatError`
naming the file and the 1-based line number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

COLUMNS = ["task", "subset", "split", "sentence1", "sentence2", "score"]

STS_YEAR_SUBSETS: dict[str, tuple[str, ...]] = {
    "STS12": ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"),
    "STS13": ("FNWN", "headlines", "OnWN"),
    "STS14": ("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"),
    "STS15": ("answers-forums", "answers-students", "belief", "headlines", "images"),
    "STS16": ("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
}
STSB_SPLITS = ("train", "dev", "test")
SICK_SPLIT_FILES = {
    "train": "SICK_train.txt",
    "trial": "SICK_trial.txt",
    "test": "SICK_test_annotated.txt",
}
ALL_TASKS = (*STS_YEAR_SUBSETS, "STSBenchmark", "SICKRelatedness")
ALL_SPLITS = ("train", "dev", "trial", "test")
EVALUATION_SPLITS = ("test", "dev")


class SentEvalFormatError(ValueError):
    """A SentEval file is missing or has a line that cannot be read."""


@dataclass(frozen=True)
class _Pair:
    sentence1: str
    sentence2: str
    score: float


def rejoin_tokens(text: str) -> str:
    """Split on whitespace and re-join with single spaces (SentEval's ``' '.join(s.split())``):
    every run of Unicode whitespace (tabs, newlines, NBSP, ...) becomes one space, both ends
    stripped. The training corpus is normalised with it too (:mod:`jtcse.data.corpus`)."""
    return " ".join(text.split())


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise SentEvalFormatError(f"{path}: file not found")
    # str.splitlines, as SentEval reads these files; it also removes CRLF endings.
    return path.read_text(encoding="utf-8").splitlines()


def _parse_score(raw: str, path: Path, line_number: int) -> float:
    try:
        score = float(raw)
    except ValueError:
        raise SentEvalFormatError(f"{path}:{line_number}: score {raw!r} is not a number") from None
    if not math.isfinite(score):
        raise SentEvalFormatError(f"{path}:{line_number}: score {raw!r} is not finite")
    return score


def read_sts_subset(folder: Path, subset: str) -> list[_Pair]:
    """Read ``STS.input.<subset>.txt`` and ``STS.gs.<subset>.txt``; unscored pairs get NaN."""
    input_path = folder / f"STS.input.{subset}.txt"
    gold_path = folder / f"STS.gs.{subset}.txt"
    inputs, golds = _read_lines(input_path), _read_lines(gold_path)
    # A gold file may end before the input file when its last pairs are unscored.
    if len(golds) > len(inputs):
        raise SentEvalFormatError(
            f"{gold_path}: {len(golds)} lines but {input_path.name} has {len(inputs)} pairs"
        )
    pairs = []
    for index, line in enumerate(inputs):
        fields = line.split("\t")
        if len(fields) != 2:
            raise SentEvalFormatError(
                f"{input_path}:{index + 1}: expected 2 tab-separated sentences, got {len(fields)}"
            )
        gold = golds[index].strip() if index < len(golds) else ""
        score = _parse_score(gold, gold_path, index + 1) if gold else math.nan
        pairs.append(_Pair(rejoin_tokens(fields[0]), rejoin_tokens(fields[1]), score))
    return pairs


def _read_tabular_pairs(
    path: Path, sentence_columns: tuple[int, int], score_column: int
) -> Iterator[_Pair]:
    """Rows of a tab-separated file (STS-B csv, SICK txt); a first row whose score is not a
    number is a header; blank lines are skipped."""
    needed = max(*sentence_columns, score_column) + 1
    for index, line in enumerate(_read_lines(path)):
        if not line.strip():
            continue
        fields = line.strip().split("\t")
        if len(fields) < needed:
            raise SentEvalFormatError(
                f"{path}:{index + 1}: expected at least {needed} tab-separated fields, "
                f"got {len(fields)}"
            )
        raw_score = fields[score_column].strip()
        if index == 0 and not _is_number(raw_score):
            continue
        yield _Pair(
            rejoin_tokens(fields[sentence_columns[0]]),
            rejoin_tokens(fields[sentence_columns[1]]),
            _parse_score(raw_score, path, index + 1),
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def year_subsets(folder: Path, task: str) -> tuple[str, ...]:
    """SentEval's sub-datasets of an STS year; a folder holding none of them but other
    ``STS.input.*.txt`` files (such as the Hub path's single ``all`` subset) uses those."""
    standard = STS_YEAR_SUBSETS[task]
    if any((folder / f"STS.input.{subset}.txt").is_file() for subset in standard):
        return standard
    prefix, suffix = "STS.input.", ".txt"
    found = sorted(path.name[len(prefix) : -len(suffix)] for path in folder.glob("STS.input.*.txt"))
    return tuple(found) or standard


def _task_rows(
    root: Path, task: str, splits: set[str] | None
) -> Iterator[tuple[str, str, str, _Pair]]:
    if task in STS_YEAR_SUBSETS:
        if splits is not None and "test" not in splits:
            return
        folder = root / "STS" / f"{task}-en-test"
        for subset in year_subsets(folder, task):
            for pair in read_sts_subset(folder, subset):
                yield task, subset, "test", pair
    elif task == "STSBenchmark":
        for split in STSB_SPLITS:
            if splits is not None and split not in splits:
                continue
            path = root / "STS" / "STSBenchmark" / f"sts-{split}.csv"
            for pair in _read_tabular_pairs(path, sentence_columns=(5, 6), score_column=4):
                yield task, "STSBenchmark", split, pair
    elif task == "SICKRelatedness":
        for split, file_name in SICK_SPLIT_FILES.items():
            if splits is not None and split not in splits:
                continue
            path = root / "SICK" / file_name
            for pair in _read_tabular_pairs(path, sentence_columns=(1, 2), score_column=3):
                yield task, "SICK", split, pair
    else:
        raise ValueError(f"unknown STS task {task!r}; expected one of {', '.join(ALL_TASKS)}")


def read_sts_tasks(
    root: Path | str, tasks: Iterable[str] | None = None, splits: Iterable[str] | None = None
) -> pd.DataFrame:
    """Read the STS tasks under a SentEval ``downstream`` folder into one tidy table.

    Args:
        root: the folder holding ``STS/`` and ``SICK/``.
        tasks: task names (default: all of :data:`ALL_TASKS`).
        splits: read only these splits, among :data:`ALL_SPLITS` (e.g. ``{"test", "dev"}`` for
            evaluation; default: all of STS-B's train/dev/test and SICK's train/trial/test).

    Returns:
        A DataFrame with columns ``task, subset, split, sentence1, sentence2, score``.
    """
    root = Path(root)
    if not root.is_dir():
        raise SentEvalFormatError(f"{root}: SentEval data folder not found")
    wanted = set(splits) if splits is not None else None
    if wanted is not None and not wanted <= set(ALL_SPLITS):
        raise ValueError(f"splits must be among {', '.join(ALL_SPLITS)}; got {sorted(wanted)}")
    rows = [
        (name, subset, split, pair.sentence1, pair.sentence2, pair.score)
        for task in (tasks or ALL_TASKS)
        for name, subset, split, pair in _task_rows(root, task, wanted)
    ]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.astype({"score": "float64"})
