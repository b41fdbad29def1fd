"""The task lists of the zero-shot evaluation: named suites and ``zero_shot.tasks`` read into
mteb task specs and SentEval transfer task names. Imports no torch; only the zero-shot stage,
its study and the command line import it, so editing a suite reruns nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jtcse.data.senteval_transfer import TRANSFER_TASKS
from jtcse.evaluation.specs import TaskSpec

# Named task lists: an entry of ``zero_shot.tasks`` (or of ``jtcse zero-shot --tasks``) that
# names a suite stands for its tasks; a SentEval transfer task (MR, CR, ...) is an entry like
# any mteb task. ``full``: every task with a local copy under the data root
# (jtcse.data.mteb_layout) and the seven transfer tasks, the ``studies/zero_shot`` study.
# ``quick``: the default chain's (and the CLI's), every category at a fraction of the cost:
# by the per-task seconds of the full suite (``benchmarks/results/zero_shot/``), the cheapest
# task of each category (STS: the two smallest), two of Tatoeba's 112 language pairs and the
# cheapest transfer task. SciFact, the only retrieval task, is the one dear task in it.
DEFAULT_SUITE = "quick"
TASK_SUITES: dict[str, tuple[str | dict[str, Any], ...]] = {
    "full": (
        "Banking77Classification",
        # the leaderboard's English subset is en
        {
            "name": "AmazonCounterfactualClassification",
            "subsets": ["en", "en-ext"],
            "per_subset": True,
        },
        "EmotionClassification",
        "TweetSentimentExtractionClassification",
        "MassiveIntentClassification",
        "MassiveScenarioClassification",
        {"name": "STS17", "subsets": ["en-en"]},
        "BIOSSES",
        "STS12",
        "STS13",
        "STS14",
        "STS15",
        "STS16",
        "STSBenchmark",
        "SICK-R",
        "Tatoeba",  # 112 xxx-eng pairs, mean F1
        "SciFact",
        "SIB200ClusteringS2S",
        "MasakhaNEWSClusteringS2S",
        "MasakhaNEWSClusteringP2P",
        "ClusTREC-Covid",
        "PawsXPairClassification",
        *TRANSFER_TASKS,
    ),
    "quick": (
        "EmotionClassification",
        {"name": "STS17", "subsets": ["en-en"]},
        "BIOSSES",
        # a row per pair: not to be read as the full suite's Tatoeba (112 pairs)
        {"name": "Tatoeba", "subsets": ["deu-eng", "fra-eng"], "per_subset": True},
        "SciFact",
        "MasakhaNEWSClusteringS2S",
        "PawsXPairClassification",
        "MRPC",
    ),
}


@dataclass(frozen=True)
class TaskList:
    """``zero_shot.tasks`` read: the mteb tasks, then SentEval's transfer tasks (names of
    :data:`~jtcse.data.senteval_transfer.TRANSFER_TASKS`), each in the order listed."""

    mteb: list[TaskSpec]
    transfer: list[str]


def parse_tasks(entries: str | Sequence[str | Mapping[str, Any]]) -> TaskList:
    """``zero_shot.tasks``: a non-empty list of tasks, in which (or instead of which) the name
    of a suite of :data:`TASK_SUITES` stands for its tasks; a transfer task's name goes to
    :attr:`TaskList.transfer`, every other entry is an mteb :class:`TaskSpec`."""
    listed = [entries] if isinstance(entries, str) else list(entries)
    if not listed:
        raise ValueError("zero_shot.tasks: name at least one task")
    expanded = [
        task
        for entry in listed
        for task in (TASK_SUITES.get(entry, (entry,)) if isinstance(entry, str) else (entry,))
    ]
    transfer = [entry for entry in expanded if isinstance(entry, str) and entry in TRANSFER_TASKS]
    mteb = [
        TaskSpec.from_parameters(entry, index)
        for index, entry in enumerate(expanded)
        if not (isinstance(entry, str) and entry in TRANSFER_TASKS)
    ]
    return TaskList(mteb, transfer)
