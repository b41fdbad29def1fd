"""Write a tiny SentEval layout of the seven transfer tasks for tests.

Each file has the real file's name and format (``/work/shared/data/README.md``, section A''):
MR, CR, SUBJ, MPQA two files of one sentence a line (label 1 first); SST2 ``sentence<TAB>label``
per split; TREC ``COARSE:fine question``; MRPC a header (with a UTF-8 BOM, as the real one),
then ``label<TAB>id<TAB>id<TAB>sentence<TAB>sentence``. Sentences are words of
``tests.tiny_bert.TINY_CORPUS``; ``per_class`` samples of every label in every split.
"""

from __future__ import annotations

import random
from pathlib import Path

from jtcse.data.senteval_transfer import MRPC_HEADER, TRANSFER_FILES, TREC_CLASSES
from tests.tiny_bert import TINY_CORPUS

WORDS = sorted({word for sentence in TINY_CORPUS for word in sentence.split() if word != "."})


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(2, 8))) + " ."


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def write_transfer_fixture(root: Path, per_class: int = 6, seed: int = 0) -> Path:
    """Write the transfer tasks' files under ``root`` (a ``downstream`` folder); return it."""
    rng = random.Random(seed)
    for files in TRANSFER_FILES.values():
        folder = root / files.folder
        for names in files.splits.values():
            if files.format == "polarity":
                for name in names:
                    _write(folder / name, [_sentence(rng) for _ in range(per_class)])
            elif files.format == "sst":
                lines = [f"{_sentence(rng)}\t{label}" for label in (0, 1) for _ in range(per_class)]
                _write(folder / names[0], lines)
            elif files.format == "trec":
                lines = [
                    f"{coarse}:fine {_sentence(rng)}"
                    for coarse in TREC_CLASSES
                    for _ in range(per_class)
                ]
                _write(folder / names[0], lines)
            else:
                lines = [f"\ufeff{MRPC_HEADER}\t#1 ID\t#2 ID\t#1 String\t#2 String"] + [
                    f"{label}\t{index}\t{index + 1}\t{_sentence(rng)}\t{_sentence(rng)}"
                    for index, label in enumerate([0, 1] * per_class)
                ]
                _write(folder / names[0], lines)
    return root
