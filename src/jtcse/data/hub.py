"""Online path: fill the raw data layout from the Hugging Face Hub (needs internet access).

Offline runs read a local SentEval-layout folder and corpus file instead; this module only
produces the same files for users who have the internet:

* :func:`download_wiki1m` copies SimCSE's one-million-sentence Wikipedia corpus
  (``princeton-nlp/datasets-for-simcse``, ``wiki1m_for_simcse.txt``, one sentence per line).
* :func:`download_sts` fetches the MTEB copies of the STS sets and writes them in SentEval's
  layout with :func:`write_sts_pairs`, :func:`write_stsb_split` and :func:`write_sick_split`.

Differences between the MTEB copies and SentEval's files:

* the MTEB sentences are the untokenised originals (SentEval's are Moses-tokenised and, for
  STS12-16 and STS-B, lowercased);
* the MTEB STS12-16 sets do not name their sub-datasets, so each year gets one sub-dataset
  called ``all`` (``STS.input.all.txt`` / ``STS.gs.all.txt``) and only scored pairs;
* STS-B rows carry no genre, file or year, so those columns hold ``unknown``;
* ``mteb/sickr-sts`` has a single ``test`` split holding all 9,927 SICK pairs (SentEval's
  ``SICK_test_annotated.txt`` holds 4,927), no train/trial split and no entailment labels, so
  only ``SICK_test_annotated.txt`` is written and its ``entailment_judgment`` column is empty.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from jtcse.atomic import open_atomic, write_lines_atomic

WIKI1M_REPO_ID = "princeton-nlp/datasets-for-simcse"
WIKI1M_FILENAME = "wiki1m_for_simcse.txt"

STS_YEAR_REPOS = {
    "STS12": "mteb/sts12-sts",
    "STS13": "mteb/sts13-sts",
    "STS14": "mteb/sts14-sts",
    "STS15": "mteb/sts15-sts",
    "STS16": "mteb/sts16-sts",
}
STSB_REPO = "mteb/stsbenchmark-sts"
STSB_SPLIT_FILES = {"train": "sts-train.csv", "validation": "sts-dev.csv", "test": "sts-test.csv"}
SICK_REPO = "mteb/sickr-sts"
SICK_SPLIT_FILES = {"test": "SICK_test_annotated.txt"}
HUB_STS_SUBSET = "all"

SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment"
STSB_UNKNOWN_METADATA = ("unknown", "unknown", "unknown")  # genre, file, year

# A tab or anything str.splitlines treats as a line break would corrupt a row of these files.
_FIELD_BREAKS = re.compile("[\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")

ScoredPair = tuple[str, str, float]


def clean_field(text: str) -> str:
    """Replace every tab and line-break character of a sentence by a space."""
    return _FIELD_BREAKS.sub(" ", text)


def format_score(score: float) -> str:
    """The shortest decimal text that reads back as the same float (``repr``)."""
    value = float(score)
    if not math.isfinite(value):
        raise ValueError(f"score must be a finite number, got {score!r}")
    return repr(value)


def write_sts_pairs(folder: Path, name: str, pairs: Iterable[ScoredPair]) -> None:
    """Write one STS sub-dataset: ``STS.input.<name>.txt`` (``sent1<TAB>sent2`` per line) and
    ``STS.gs.<name>.txt`` (one score per line, same order)."""
    if not name or "/" in name or "\\" in name or name.strip() != name:
        raise ValueError(f"name must be a plain sub-dataset name, got {name!r}")
    rows = [
        (clean_field(first), clean_field(second), format_score(s)) for first, second, s in pairs
    ]
    folder = Path(folder)
    write_lines_atomic(folder / f"STS.input.{name}.txt", (f"{a}\t{b}" for a, b, _ in rows))
    write_lines_atomic(folder / f"STS.gs.{name}.txt", (score for _, _, score in rows))


def write_stsb_split(path: Path, pairs: Iterable[ScoredPair]) -> None:
    """Write an STS Benchmark split: no header, 7 tab-separated columns
    ``genre, file, year, id, score, sent1, sent2``; genre/file/year are ``unknown`` and the id
    is the 1-based row number, zero-padded to 4 digits."""
    write_lines_atomic(
        path,
        (
            "\t".join(
                (
                    *STSB_UNKNOWN_METADATA,
                    f"{index:04d}",
                    format_score(score),
                    clean_field(first),
                    clean_field(second),
                )
            )
            for index, (first, second, score) in enumerate(pairs, start=1)
        ),
    )


def write_sick_split(path: Path, pairs: Iterable[ScoredPair]) -> None:
    """Write a SICK split: the header ``pair_ID, sentence_A, sentence_B, relatedness_score,
    entailment_judgment`` (tab-separated), then one row per pair with a 1-based ``pair_ID`` and
    an empty ``entailment_judgment`` (the Hub copy has no entailment labels)."""
    rows = (
        f"{index}\t{clean_field(first)}\t{clean_field(second)}\t{format_score(score)}\t"
        for index, (first, second, score) in enumerate(pairs, start=1)
    )
    write_lines_atomic(path, (SICK_HEADER, *rows))


def download_wiki1m(target: Path) -> Path:
    """Download SimCSE's ``wiki1m_for_simcse.txt`` (about 120 MB) and copy it to ``target``.

    Returns:
        ``target``.

    Raises:
        RuntimeError: the Hub cannot be reached and the file is not in the local Hub cache.
    """
    from huggingface_hub import hf_hub_download

    cached = _fetch(
        f"{WIKI1M_REPO_ID}/{WIKI1M_FILENAME}",
        hf_hub_download,
        repo_id=WIKI1M_REPO_ID,
        filename=WIKI1M_FILENAME,
        repo_type="dataset",
    )
    target = Path(target)
    with open(cached, "rb") as source, open_atomic(target, "wb") as destination:
        shutil.copyfileobj(source, destination)
    return target


def download_sts(target_root: Path) -> None:
    """Fetch the MTEB STS sets and write them in SentEval's layout under ``target_root``:
    ``STS/STS1x-en-test/STS.{input,gs}.all.txt``, ``STS/STSBenchmark/sts-{train,dev,test}.csv``
    and ``SICK/SICK_test_annotated.txt`` (see the module docstring for how they differ from
    SentEval's own files).

    Raises:
        RuntimeError: the Hub cannot be reached and a set is not in the local datasets cache.
    """
    from datasets import load_dataset

    root = Path(target_root)
    for year, repo_id in STS_YEAR_REPOS.items():
        test = _fetch(repo_id, load_dataset, repo_id, split="test")
        write_sts_pairs(root / "STS" / f"{year}-en-test", HUB_STS_SUBSET, _scored_pairs(test))
    stsb = _fetch(STSB_REPO, load_dataset, STSB_REPO)
    for split, file_name in STSB_SPLIT_FILES.items():
        write_stsb_split(root / "STS" / "STSBenchmark" / file_name, _scored_pairs(stsb[split]))
    sick = _fetch(SICK_REPO, load_dataset, SICK_REPO)
    for split, file_name in SICK_SPLIT_FILES.items():
        write_sick_split(root / "SICK" / file_name, _scored_pairs(sick[split]))


def _scored_pairs(rows: Iterable[dict[str, Any]]) -> list[ScoredPair]:
    """``(sentence1, sentence2, score)`` of each row of an MTEB STS dataset."""
    return [(row["sentence1"], row["sentence2"], float(row["score"])) for row in rows]


def _fetch(what: str, download: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a Hub download; turn a network failure into a RuntimeError that says what to do."""
    try:
        return download(*args, **kwargs)
    except OSError as error:  # ConnectionError, hub HTTP errors, missing cache entries
        raise RuntimeError(
            f"could not fetch {what!r} from the Hugging Face Hub: no internet access, or "
            f"HF_HUB_OFFLINE=1 is set and it is not in the local cache ({error}). Without the "
            "internet, point the configuration at a local SentEval-layout folder and corpus."
        ) from error
