"""Classification tasks: a ``text`` and a ``label`` column per split (mteb fits its classifier
on ``train`` and scores ``test``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from jtcse.data.mteb_layout.files import (
    MtebLayoutError,
    TaskData,
    existing,
    label_ids,
    lines,
    read_csv,
    read_jsonl,
)

EMOTION_LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")
TWEET_SENTIMENT_LABELS = ("negative", "neutral", "positive")
AMAZON_SUBSETS = {"en": "EN", "en-ext": "EN-ext"}
SPLIT_NAMES = {"train": "train", "valid": "validation", "val": "validation", "test": "test"}
MASSIVE_SPLITS = ("train", "validation", "test")


def _table(rows: list[dict[str, str]], text: str, labels: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"text": [row[text] for row in rows], "label": labels}).astype(
        {"label": "int64"}
    )


def banking77(root: Path) -> TaskData:
    """Label id = position of the category in the case-insensitive sorted category list."""
    folder = root / "mteb_style" / "banking77"
    categories_path = existing(folder / "categories.json")
    categories = sorted(json.loads(categories_path.read_text(encoding="utf-8")), key=str.lower)
    ids = {name: index for index, name in enumerate(categories)}
    splits = {}
    for split in ("train", "test"):
        path = folder / f"{split}.csv"
        rows = read_csv(path)
        splits[split] = _table(rows, "text", label_ids(rows, path, "category", ids))
    return {"default": splits}


def amazon_counterfactual(root: Path) -> TaskData:
    """Subsets ``en`` and ``en-ext``; ``valid`` is ``validation``; ordinary CSV quoting."""
    folder = root / "mteb_style" / "amazon_counterfactual"
    data: TaskData = {}
    for subset, prefix in AMAZON_SUBSETS.items():
        data[subset] = {}
        for name in ("train", "valid", "test"):
            path = folder / f"{prefix}_{name}.tsv"
            rows = read_csv(path, delimiter="\t")
            labels = label_ids(rows, path, "is_counterfactual", {"0": 0, "1": 1})
            data[subset][SPLIT_NAMES[name]] = _table(rows, "sentence", labels)
    return data


def emotion(root: Path) -> TaskData:
    """``text;label_name`` split on the last ``;``; ids in :data:`EMOTION_LABELS` order."""
    folder = root / "mteb_style" / "emotion"
    ids = {name: index for index, name in enumerate(EMOTION_LABELS)}
    splits = {}
    for name in ("train", "val", "test"):
        path = folder / f"{name}.txt"
        texts, labels = [], []
        for line_number, line in enumerate(lines(path)[1:], 2):
            text, separator, label = line.rpartition(";")
            if not separator or label not in ids:
                raise MtebLayoutError(f"{path}:{line_number}: expected 'text;label_name'")
            texts.append(text)
            labels.append(ids[label])
        splits[SPLIT_NAMES[name]] = pd.DataFrame({"text": texts, "label": labels})
    return {"default": splits}


def tweet_sentiment_extraction(root: Path) -> TaskData:
    """Ids in :data:`TWEET_SENTIMENT_LABELS` order (train lacks the Hub copy's one empty
    text)."""
    folder = root / "mteb_style" / "tweet_sentiment_extraction"
    ids = {name: index for index, name in enumerate(TWEET_SENTIMENT_LABELS)}
    splits = {}
    for split, name in (("train", "train.derived.csv"), ("test", "kaggle_test.csv")):
        path = folder / name
        rows = read_csv(path)
        splits[split] = _table(rows, "text", label_ids(rows, path, "sentiment", ids))
    return {"default": splits}


def _massive(root: Path, scenario: bool) -> TaskData:
    """MASSIVE en-US, subset ``en``: the label is the intent name (``label_text``), or for the
    scenario task the part of it before the first ``_`` (mteb's labels are the names, not
    SetFit's integer ``label``)."""
    folder = root / "mteb_style" / "massive_en"
    splits = {}
    for split in MASSIVE_SPLITS:
        path = folder / f"{split}.jsonl"
        rows = read_jsonl(path, required=("text", "label_text"))
        names = [row["label_text"] for row in rows]
        labels = [name.split("_", 1)[0] for name in names] if scenario else names
        splits[split] = pd.DataFrame({"text": [row["text"] for row in rows], "label": labels})
    return {"en": splits}


def massive_intent(root: Path) -> TaskData:
    """MassiveIntentClassification (en): see :func:`_massive`."""
    return _massive(root, scenario=False)


def massive_scenario(root: Path) -> TaskData:
    """MassiveScenarioClassification (en): see :func:`_massive`."""
    return _massive(root, scenario=True)
