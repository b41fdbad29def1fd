"""Local copies of MTEB tasks, converted into the layout of each task's Hub repository.

mteb 2.x loads a task with ``datasets.load_dataset(**task.metadata.dataset)``; a local folder
in the Hub repository's layout stands in for the Hub id. A converted task is one folder:

    <root>/<TaskName>/README.md              ``configs:`` naming each subset and its splits
    <root>/<TaskName>/<subset>/<split>.parquet

with the columns the task's evaluator reads; one module per mteb category states them and
the rules that rebuild each Hub copy from the files under the data root (checked in the tests
against the statistics that mteb ships in ``mteb/descriptive_stats``):
:mod:`~jtcse.data.mteb_layout.classification`, :mod:`~jtcse.data.mteb_layout.sts`,
:mod:`~jtcse.data.mteb_layout.bitext`, :mod:`~jtcse.data.mteb_layout.retrieval`,
:mod:`~jtcse.data.mteb_layout.clustering`, :mod:`~jtcse.data.mteb_layout.pair_classification`.
A single-subset task's subset is ``default``; a task that mteb loads with ``fast_loading``
(:data:`ONE_CONFIG_TASKS`: its Hub repository has one ``default`` config whose rows carry
their subset in a ``lang`` column) is written that way.

Example:
    >>> write_task_folders(Path("../shared/data"), Path("data/04_feature/mteb_tasks"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from jtcse.atomic import replace_folder_atomically
from jtcse.data.mteb_layout import (
    bitext,
    classification,
    clustering,
    pair_classification,
    retrieval,
    sts,
)
from jtcse.data.mteb_layout.files import MtebLayoutError, TaskData
from jtcse.data.senteval import STS_YEAR_SUBSETS

__all__ = [
    "ONE_CONFIG_TASKS",
    "READERS",
    "MtebLayoutError",
    "TaskData",
    "dataset_card",
    "local_subsets",
    "one_config",
    "read_task",
    "write_task_folder",
    "write_task_folders",
]

# Tasks whose Hub repository holds every subset in one ``default`` config with a ``lang``
# column (mteb's ``fast_loading``); the tests check this against mteb.
ONE_CONFIG_TASKS = frozenset(
    {"STS17", "Tatoeba", "MassiveIntentClassification", "MassiveScenarioClassification"}
)

READERS: dict[str, Callable[[Path], TaskData]] = {
    "Banking77Classification": classification.banking77,
    "AmazonCounterfactualClassification": classification.amazon_counterfactual,
    "EmotionClassification": classification.emotion,
    "TweetSentimentExtractionClassification": classification.tweet_sentiment_extraction,
    "MassiveIntentClassification": classification.massive_intent,
    "MassiveScenarioClassification": classification.massive_scenario,
    "STS17": sts.sts17,
    "BIOSSES": sts.biosses,
    **{task: sts.sts_year(task) for task in STS_YEAR_SUBSETS},
    "STSBenchmark": sts.sts_benchmark,
    "SICK-R": sts.sick_r,
    "Tatoeba": bitext.tatoeba,
    "SciFact": retrieval.scifact,
    "SIB200ClusteringS2S": clustering.sib200_eng,
    "MasakhaNEWSClusteringS2S": clustering.masakhanews_s2s,
    "MasakhaNEWSClusteringP2P": clustering.masakhanews_p2p,
    "ClusTREC-Covid": clustering.clustrec_covid,
    "PawsXPairClassification": pair_classification.pawsx_en,
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
