"""Read SentEval's transfer tasks (MR, CR, SUBJ, MPQA, SST2, TREC, MRPC) into one tidy table.

The files are SentEval's ``data/downstream`` layout (:data:`TRANSFER_FILES`), read the way
SentEval's own readers read them, so that the sentences and labels are SentEval's:

- MR, CR, SUBJ, MPQA: two files of one sentence a line, Latin-1, split with ``str.splitlines``;
  the first file is label 1 (positive; SUBJ: objective), the second label 0; a blank line is a
  sample with an empty sentence (CR has four), as in SentEval;
- SST2: ``sentence<TAB>label`` (0 or 1), UTF-8, one file per split;
- TREC: ``COARSE:fine question``, Latin-1; the label is the coarse class's position in
  :data:`TREC_CLASSES` and the fine class is dropped;
- MRPC: a header, then ``label<TAB>id1<TAB>id2<TAB>sentence1<TAB>sentence2``, UTF-8.

Every sentence is its whitespace tokens re-joined with single spaces (SentEval splits on
whitespace and SimCSE's batcher joins with ``' '``). Each row of the table is one sample:

    task, split, sentence1, sentence2, label

in file order (``sentence2`` is None except for MRPC; MR, CR, SUBJ and MPQA have one split,
``all``). A missing file or a line that cannot be read raises :class:`SentEvalFormatError`
naming the file and the 1-based line number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from jtcse.data.senteval import SentEvalFormatError, rejoin_tokens

COLUMNS = ["task", "split", "sentence1", "sentence2", "label"]
TREC_CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
MRPC_HEADER = "Quality"


@dataclass(frozen=True)
class TransferFiles:
    """Where a task's files are under the ``downstream`` folder and how they are read.

    ``splits`` maps each split to its files; for the ``polarity`` format the two files of the
    one split are (label 1, label 0).
    """

    folder: str
    format: str
    encoding: str
    splits: dict[str, tuple[str, ...]]


TRANSFER_FILES: dict[str, TransferFiles] = {
    "MR": TransferFiles(
        "MR", "polarity", "latin-1", {"all": ("rt-polarity.pos", "rt-polarity.neg")}
    ),
    "CR": TransferFiles("CR", "polarity", "latin-1", {"all": ("custrev.pos", "custrev.neg")}),
    "SUBJ": TransferFiles(
        "SUBJ", "polarity", "latin-1", {"all": ("subj.objective", "subj.subjective")}
    ),
    "MPQA": TransferFiles("MPQA", "polarity", "latin-1", {"all": ("mpqa.pos", "mpqa.neg")}),
    "SST2": TransferFiles(
        "SST/binary",
        "sst",
        "utf-8",
        {
            "train": ("sentiment-train",),
            "dev": ("sentiment-dev",),
            "test": ("sentiment-test",),
        },
    ),
    "TREC": TransferFiles(
        "TREC", "trec", "latin-1", {"train": ("train_5500.label",), "test": ("TREC_10.label",)}
    ),
    "MRPC": TransferFiles(
        "MRPC",
        "mrpc",
        "utf-8",
        {"train": ("msr_paraphrase_train.txt",), "test": ("msr_paraphrase_test.txt",)},
    ),
}
TRANSFER_TASKS = tuple(TRANSFER_FILES)

_Row = tuple[str, str | None, int]


def _open_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line without its newline) of a file read as ``io.open`` iterates it."""
    if not path.is_file():
        raise SentEvalFormatError(f"{path}: file not found")
    with path.open(encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.rstrip("\n")


def _read_polarity(path: Path, encoding: str, label: int) -> Iterator[_Row]:
    if not path.is_file():
        raise SentEvalFormatError(f"{path}: file not found")
    for line in path.read_text(encoding=encoding).splitlines():
        yield rejoin_tokens(line), None, label


def _read_sst(path: Path, encoding: str) -> Iterator[_Row]:
    for number, line in _open_lines(path, encoding):
        fields = line.strip().split("\t")
        if len(fields) != 2 or fields[1] not in ("0", "1"):
            raise SentEvalFormatError(f"{path}:{number}: expected 'sentence<TAB>0|1', got {line!r}")
        yield rejoin_tokens(fields[0]), None, int(fields[1])


def _read_trec(path: Path, encoding: str) -> Iterator[_Row]:
    for number, line in _open_lines(path, encoding):
        coarse, _, rest = line.strip().partition(":")
        fine_and_question = rest.split(" ", 1)
        if coarse not in TREC_CLASSES or len(fine_and_question) != 2:
            raise SentEvalFormatError(
                f"{path}:{number}: expected 'COARSE:fine question' with COARSE among "
                f"{', '.join(TREC_CLASSES)}, got {line!r}"
            )
        yield rejoin_tokens(fine_and_question[1]), None, TREC_CLASSES.index(coarse)


def _read_mrpc(path: Path, encoding: str) -> Iterator[tuple[str, str, int]]:
    for number, line in _open_lines(path, encoding):
        fields = line.strip().split("\t")
        if number == 1:
            if fields[0].lstrip("\ufeff") != MRPC_HEADER:
                raise SentEvalFormatError(f"{path}:1: expected the header 'Quality<TAB>...'")
            continue
        if len(fields) != 5 or fields[0] not in ("0", "1"):
            raise SentEvalFormatError(
                f"{path}:{number}: expected 'label<TAB>id<TAB>id<TAB>sentence<TAB>sentence' "
                f"with label 0 or 1, got {len(fields)} fields"
            )
        yield rejoin_tokens(fields[3]), rejoin_tokens(fields[4]), int(fields[0])


def _split_rows(folder: Path, files: TransferFiles, names: tuple[str, ...]) -> Iterator[_Row]:
    paths = [folder / name for name in names]
    if files.format == "polarity":
        positive, negative = paths
        yield from _read_polarity(positive, files.encoding, 1)
        yield from _read_polarity(negative, files.encoding, 0)
    elif files.format == "sst":
        yield from _read_sst(paths[0], files.encoding)
    elif files.format == "trec":
        yield from _read_trec(paths[0], files.encoding)
    else:
        yield from _read_mrpc(paths[0], files.encoding)


def read_transfer_tasks(root: Path | str, tasks: Iterable[str] | None = None) -> pd.DataFrame:
    """Read transfer tasks under a SentEval ``downstream`` folder into one tidy table.

    Args:
        root: the folder holding ``MR/``, ``CR/``, ``SUBJ/``, ``MPQA/``, ``SST/``, ``TREC/``,
            ``MRPC/``.
        tasks: task names among :data:`TRANSFER_TASKS` (default: all seven).

    Returns:
        A DataFrame with columns ``task, split, sentence1, sentence2, label`` (int64), rows
        in file order.
    """
    root = Path(root)
    if not root.is_dir():
        raise SentEvalFormatError(f"{root}: SentEval data folder not found")
    wanted = list(tasks) if tasks is not None else list(TRANSFER_TASKS)
    unknown = [task for task in wanted if task not in TRANSFER_FILES]
    if unknown:
        raise ValueError(
            f"unknown transfer task {unknown[0]!r}; expected one of {', '.join(TRANSFER_TASKS)}"
        )
    rows = [
        (task, split, *row)
        for task in wanted
        for split, names in TRANSFER_FILES[task].splits.items()
        for row in _split_rows(root / TRANSFER_FILES[task].folder, TRANSFER_FILES[task], names)
    ]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"label": "int64"})
