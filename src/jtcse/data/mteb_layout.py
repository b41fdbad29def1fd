"""Local copies of MTEB tasks, converted into the layout of each task's Hub repository.

mteb 2.x loads a task with ``datasets.load_dataset(**task.metadata.dataset)``; a local folder
in the Hub repository's layout stands in for the Hub id. A converted task is one folder:

    <root>/<TaskName>/README.md              ``configs:`` naming each subset and its splits
    <root>/<TaskName>/<subset>/<split>.parquet

with the columns the task's evaluator reads (classification: ``text``, ``label`` as int64;
STS: ``sentence1``, ``sentence2``, ``score``; bitext mining: ``sentence1``, ``sentence2``).
A single-subset task's subset is ``default``; a task that mteb loads with ``fast_loading``
(:data:`ONE_CONFIG_TASKS`: its Hub repository has one ``default`` config whose rows carry
their subset in a ``lang`` column) is written that way. Per task, the local files (under the
data root) and the rules that reproduce the Hub copy (checked in the tests against the
statistics that mteb ships in ``mteb/descriptive_stats``):

- Banking77Classification, ``mteb_style/banking77``: label id = position of the category in
  the case-insensitive sorted list of categories.
- AmazonCounterfactualClassification, ``mteb_style/amazon_counterfactual``: subsets ``en``,
  ``en-ext``; ``valid`` is ``validation``; ordinary CSV quoting.
- EmotionClassification, ``mteb_style/emotion``: ``text;label_name`` split on the last ``;``;
  sadness 0, joy 1, love 2, anger 3, fear 4, surprise 5.
- TweetSentimentExtractionClassification, ``mteb_style/tweet_sentiment_extraction``:
  negative 0, neutral 1, positive 2 (train lacks the Hub copy's one empty-text row).
- STS17, ``mteb_style/sts17_en_en``: subset ``en-en`` only.
- BIOSSES, ``mteb_style/biosses``: sentence pairs on consecutive lines, one score a line.
- Tatoeba, ``mteb_style/tatoeba``: subset ``xxx-eng``, sentence1 the ``xxx`` side, sentence2
  English, each line with its newline (as the Hub copy).
- STS12 .. STS16, ``senteval/STS``: SentEval's tokenised lines as they are, the scored pairs of
  a year pooled into ``test``.
- STSBenchmark, ``sts_original/stsbenchmark``: the untokenised originals; train, validation,
  test.
- SICK-R, ``senteval/SICK``: all 9,927 pairs (train + trial + test) as ``test``, untokenised.

Example:
    >>> write_task_folders(Path("../shared/data"), Path("data/04_feature/mteb_tasks"))
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from jtcse.atomic import replace_folder_atomically
from jtcse.data.senteval import SICK_SPLIT_FILES, STS_YEAR_SUBSETS

# subset -> split -> table: one task's data in its Hub layout
TaskData = dict[str, dict[str, pd.DataFrame]]

EMOTION_LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")
TWEET_SENTIMENT_LABELS = ("negative", "neutral", "positive")
AMAZON_SUBSETS = {"en": "EN", "en-ext": "EN-ext"}
# Tasks whose Hub repository holds every subset in one ``default`` config with a ``lang``
# column (mteb's ``fast_loading``); the tests check this against mteb.
ONE_CONFIG_TASKS = frozenset({"STS17", "Tatoeba"})
SPLIT_NAMES = {"train": "train", "valid": "validation", "val": "validation", "test": "test"}


class MtebLayoutError(ValueError):
    """A local task file is missing or has a line that cannot be converted."""


def _read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    """Rows of a CSV/TSV file with a header (ordinary CSV quoting)."""
    if not path.is_file():
        raise MtebLayoutError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _label_ids(
    rows: Iterable[Mapping[str, str]], path: Path, column: str, labels: Mapping[str, int]
) -> list[int]:
    ids = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        if row.get(column) not in labels:
            raise MtebLayoutError(f"{path}:{line}: unknown label {row.get(column)!r}")
        ids.append(labels[row[column]])
    return ids


def _classification(rows: list[dict[str, str]], text: str, labels: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"text": [row[text] for row in rows], "label": labels}).astype(
        {"label": "int64"}
    )


def banking77(root: Path) -> TaskData:
    folder = root / "mteb_style" / "banking77"
    categories_path = folder / "categories.json"
    if not categories_path.is_file():
        raise MtebLayoutError(f"{categories_path}: file not found")
    categories = sorted(json.loads(categories_path.read_text(encoding="utf-8")), key=str.lower)
    ids = {name: index for index, name in enumerate(categories)}
    splits = {}
    for split in ("train", "test"):
        path = folder / f"{split}.csv"
        rows = _read_csv(path)
        splits[split] = _classification(rows, "text", _label_ids(rows, path, "category", ids))
    return {"default": splits}


def amazon_counterfactual(root: Path) -> TaskData:
    folder = root / "mteb_style" / "amazon_counterfactual"
    data: TaskData = {}
    for subset, prefix in AMAZON_SUBSETS.items():
        data[subset] = {}
        for name in ("train", "valid", "test"):
            path = folder / f"{prefix}_{name}.tsv"
            rows = _read_csv(path, delimiter="\t")
            labels = _label_ids(rows, path, "is_counterfactual", {"0": 0, "1": 1})
            data[subset][SPLIT_NAMES[name]] = _classification(rows, "sentence", labels)
    return data


def emotion(root: Path) -> TaskData:
    folder = root / "mteb_style" / "emotion"
    ids = {name: index for index, name in enumerate(EMOTION_LABELS)}
    splits = {}
    for name in ("train", "val", "test"):
        path = folder / f"{name}.txt"
        if not path.is_file():
            raise MtebLayoutError(f"{path}: file not found")
        texts, labels = [], []
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], 2):
            text, separator, label = line.rpartition(";")
            if not separator or label not in ids:
                raise MtebLayoutError(f"{path}:{line_number}: expected 'text;label_name'")
            texts.append(text)
            labels.append(ids[label])
        splits[SPLIT_NAMES[name]] = pd.DataFrame({"text": texts, "label": labels})
    return {"default": splits}


def tweet_sentiment_extraction(root: Path) -> TaskData:
    folder = root / "mteb_style" / "tweet_sentiment_extraction"
    ids = {name: index for index, name in enumerate(TWEET_SENTIMENT_LABELS)}
    splits = {}
    for split, name in (("train", "train.derived.csv"), ("test", "kaggle_test.csv")):
        path = folder / name
        rows = _read_csv(path)
        splits[split] = _classification(rows, "text", _label_ids(rows, path, "sentiment", ids))
    return {"default": splits}


def _lines(path: Path, keep_ends: bool = False) -> list[str]:
    if not path.is_file():
        raise MtebLayoutError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    return text.splitlines(keepends=keep_ends)


def _scores(path: Path) -> list[float]:
    return [_score(line, path, number) for number, line in enumerate(_lines(path), start=1)]


def _score(raw: str, path: Path, line: int) -> float:
    try:
        return float(raw)
    except ValueError:
        raise MtebLayoutError(f"{path}:{line}: score {raw!r} is not a number") from None


def _pairs_table(
    sentence1: list[str], sentence2: list[str], scores: list[float], path: Path
) -> pd.DataFrame:
    if not len(sentence1) == len(sentence2) == len(scores):
        raise MtebLayoutError(
            f"{path}: {len(sentence1)} first sentences, {len(sentence2)} second sentences and "
            f"{len(scores)} scores"
        )
    return pd.DataFrame({"sentence1": sentence1, "sentence2": sentence2, "score": scores})


def sts17(root: Path) -> TaskData:
    folder = root / "mteb_style" / "sts17_en_en"
    path = folder / "STS.input.track5.en-en.txt"
    pairs = [line.split("\t") for line in _lines(path)]
    bad = next((number for number, pair in enumerate(pairs, 1) if len(pair) != 2), None)
    if bad is not None:
        raise MtebLayoutError(f"{path}:{bad}: expected 2 tab-separated sentences")
    scores = _scores(folder / "STS.gs.track5.en-en.txt")
    table = _pairs_table([p[0] for p in pairs], [p[1] for p in pairs], scores, path)
    return {"en-en": {"test": table}}


def biosses(root: Path) -> TaskData:
    folder = root / "mteb_style" / "biosses"
    path = folder / "biosses_sentence_pairs_test_derived_from_github.txt"
    lines = _lines(path)
    if len(lines) % 2:
        raise MtebLayoutError(f"{path}: {len(lines)} lines, not two per pair")
    scores = _scores(folder / "annotation_scores_from_github.txt")
    return {"default": {"test": _pairs_table(lines[0::2], lines[1::2], scores, path)}}


def tatoeba(root: Path) -> TaskData:
    folder = root / "mteb_style" / "tatoeba"
    sides = sorted(folder.glob("tatoeba.*-eng.eng"))
    if not sides:
        raise MtebLayoutError(f"{folder}: no tatoeba.xxx-eng.eng files")
    data: TaskData = {}
    for english_path in sides:
        pair = english_path.name.split(".")[1]  # "xxx-eng"
        other_path = folder / f"tatoeba.{pair}.{pair.split('-')[0]}"
        # the Hub copy keeps each line's newline (its text lengths are one longer)
        other, english = _lines(other_path, keep_ends=True), _lines(english_path, keep_ends=True)
        if len(other) != len(english):
            raise MtebLayoutError(
                f"{other_path}: {len(other)} lines, but {english_path.name} has {len(english)}"
            )
        data[pair] = {"test": pd.DataFrame({"sentence1": other, "sentence2": english})}
    return data


def _tab_rows(
    path: Path, fields: int, header: bool = False, skip_blank: bool = True
) -> list[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of each line with at least ``fields`` fields (the
    first line skipped as a header; blank lines skipped unless ``skip_blank`` is false)."""
    rows = []
    for line_number, line in enumerate(_lines(path)[int(header) :], start=1 + int(header)):
        if skip_blank and not line.strip():
            continue
        row = line.split("\t")
        if len(row) < fields:
            raise MtebLayoutError(
                f"{path}:{line_number}: expected at least {fields} tab-separated fields"
            )
        rows.append((line_number, row))
    return rows


def sts_year(task: str) -> Callable[[Path], TaskData]:
    """The reader of one STS year: its SentEval sub-datasets' scored pairs, pooled, lines as
    in the files (no whitespace normalisation: the Hub copy keeps them)."""

    def read(root: Path) -> TaskData:
        folder = root / "senteval" / "STS" / f"{task}-en-test"
        sentence1, sentence2, scores = [], [], []
        for subset in STS_YEAR_SUBSETS[task]:
            gold_path = folder / f"STS.gs.{subset}.txt"
            pairs = _tab_rows(folder / f"STS.input.{subset}.txt", 2, skip_blank=False)
            golds = _lines(gold_path)
            for index, (_, pair) in enumerate(pairs):
                if index < len(golds) and golds[index].strip():  # unscored pairs are dropped
                    sentence1.append(pair[0])
                    sentence2.append(pair[1])
                    scores.append(_score(golds[index], gold_path, index + 1))
        return {"default": {"test": _pairs_table(sentence1, sentence2, scores, folder)}}

    return read


def _columns_table(
    rows: list[tuple[int, list[str]]], columns: tuple[int, int, int], path: Path
) -> pd.DataFrame:
    """Sentence 1, sentence 2 and score from the given field positions of each row."""
    first, second, score = columns
    scores = [_score(row[score], path, number) for number, row in rows]
    return _pairs_table([r[first] for _, r in rows], [r[second] for _, r in rows], scores, path)


def sts_benchmark(root: Path) -> TaskData:
    folder = root / "sts_original" / "stsbenchmark"
    splits = {}
    for name, split in (("train", "train"), ("dev", "validation"), ("test", "test")):
        path = folder / f"sts-{name}.csv"
        splits[split] = _columns_table(_tab_rows(path, 7), (5, 6, 4), path)
    return {"default": splits}


def sick_r(root: Path) -> TaskData:
    tables = []
    for name in SICK_SPLIT_FILES.values():
        path = root / "senteval" / "SICK" / name
        tables.append(_columns_table(_tab_rows(path, 4, header=True), (1, 2, 3), path))
    return {"default": {"test": pd.concat(tables, ignore_index=True)}}


READERS: dict[str, Callable[[Path], TaskData]] = {
    "Banking77Classification": banking77,
    "AmazonCounterfactualClassification": amazon_counterfactual,
    "EmotionClassification": emotion,
    "TweetSentimentExtractionClassification": tweet_sentiment_extraction,
    "STS17": sts17,
    "BIOSSES": biosses,
    "Tatoeba": tatoeba,
    **{task: sts_year(task) for task in STS_YEAR_SUBSETS},
    "STSBenchmark": sts_benchmark,
    "SICK-R": sick_r,
}


def read_task(name: str, root: Path) -> TaskData:
    """One task's local files under the data ``root``, in its Hub layout (see the module)."""
    if name not in READERS:
        raise ValueError(f"no local copy of MTEB task {name!r}; local tasks: {', '.join(READERS)}")
    return READERS[name](Path(root))


def dataset_card(data: TaskData) -> str:
    """The ``README.md`` of a Hub dataset repository whose ``configs:`` name every subset and
    the parquet file of each split (what ``datasets.load_dataset`` reads from a folder)."""
    lines = ["---", "configs:"]
    for subset, splits in data.items():
        lines += [f"- config_name: {subset}", "  data_files:"]
        for split in splits:
            lines += [f"  - split: {split}", f"    path: {subset}/{split}.parquet"]
    return "\n".join([*lines, "---", ""])


def one_config(data: TaskData) -> TaskData:
    """Every subset's rows in one ``default`` config, each split with a ``lang`` column."""
    splits = sorted({split for subsets in data.values() for split in subsets})
    return {
        "default": {
            split: pd.concat(
                [
                    tables[split].assign(lang=subset)
                    for subset, tables in data.items()
                    if split in tables
                ],
                ignore_index=True,
            )
            for split in splits
        }
    }


def local_subsets(folder: Path) -> list[str]:
    """The subsets of a converted task folder: its config folders, or for a one-config task
    the ``lang`` values of its first split (``["default"]`` for a single-subset task)."""
    folder = Path(folder)
    configs = sorted(path.name for path in folder.iterdir() if path.is_dir())
    if configs != ["default"]:
        return configs
    first = sorted((folder / "default").glob("*.parquet"))[0]
    table = pd.read_parquet(first)
    return list(pd.unique(table["lang"])) if "lang" in table else configs


def write_task_folder(data: TaskData, folder: Path) -> Path:
    """Write one task in its Hub layout into ``folder``, replacing it atomically."""

    def write(target: Path) -> None:
        for subset, splits in data.items():
            (target / subset).mkdir(parents=True)
            for split, table in splits.items():
                table.to_parquet(target / subset / f"{split}.parquet", index=False)
        (target / "README.md").write_text(dataset_card(data), encoding="utf-8")

    return replace_folder_atomically(folder, write)


def write_task_folders(root: Path, output: Path, tasks: Iterable[str] = READERS) -> dict[str, str]:
    """Convert each task's local files under the data ``root`` into ``output/<task>``;
    returns task name -> folder."""
    folders = {}
    for name in tasks:
        data = read_task(name, root)
        data = one_config(data) if name in ONE_CONFIG_TASKS else data
        folders[name] = str(write_task_folder(data, Path(output) / name))
    return folders
