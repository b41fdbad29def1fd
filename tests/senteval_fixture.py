"""Write a tiny but complete SentEval ``downstream`` layout for tests.

The layout matches the real one (``/work/shared/data/README.md``, section A):

* ``STS/STS1x-en-test/STS.input.<subset>.txt`` (``sent1<TAB>sent2``) and ``STS.gs.<subset>.txt``
  (one score per line, an empty line for an unscored pair) for every standard sub-dataset of
  the five years;
* ``STS/STSBenchmark/sts-{train,dev,test}.csv``: 7 tab-separated columns (genre, file, year, id,
  score, sent1, sent2), no header;
* ``SICK/SICK_{train,trial,test_annotated}.txt``: a header row, then pair_ID, sentence_A,
  sentence_B, relatedness_score, entailment_judgment; the test file has CRLF line endings.

Sentences are lower-case words of ``tests.tiny_bert.TINY_CORPUS`` (SICK's are capitalised, as in
the real files) and scores are drawn from [0, 5] ([1, 5] for SICK), so every Spearman is defined.
"""

from __future__ import annotations

import random
from pathlib import Path

from jtcse.data.senteval import SICK_SPLIT_FILES, STS_YEAR_SUBSETS, STSB_SPLITS
from tests.tiny_bert import TINY_CORPUS

WORDS = sorted({word for sentence in TINY_CORPUS for word in sentence.split() if word != "."})
SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment"
SICK_LABELS = ("NEUTRAL", "ENTAILMENT", "CONTRADICTION")


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(3, 9))) + " ."


def _write(path: Path, lines: list[str], newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))


def _write_sts_year(
    folder: Path, subsets: tuple[str, ...], scored: int, unscored: int, rng: random.Random
) -> None:
    for number, subset in enumerate(subsets):
        pairs = [(_sentence(rng), _sentence(rng)) for _ in range(scored + unscored)]
        golds = [f"{rng.uniform(0.0, 5.0):.3f}" for _ in range(scored)]
        # Unscored pairs (empty gold lines) sit inside the file for even-numbered subsets and
        # at its end (the gold file then ends with an empty line) for odd-numbered ones.
        position = min(1, scored) if number % 2 == 0 else scored
        golds[position:position] = [""] * unscored
        _write(folder / f"STS.input.{subset}.txt", [f"{a}\t{b}" for a, b in pairs])
        _write(folder / f"STS.gs.{subset}.txt", golds)


def write_senteval_fixture(
    root: Path,
    pairs_per_subset: int = 3,
    unscored_per_subset: int = 1,
    pairs_per_split: int = 6,
    seed: int = 0,
) -> Path:
    """Write the layout under ``root`` (which then holds ``STS/`` and ``SICK/``) and return it.

    Args:
        root: the ``downstream`` folder to create (parents are created too).
        pairs_per_subset: scored pairs in each STS12-16 sub-dataset.
        unscored_per_subset: extra pairs with an empty gold line in each sub-dataset.
        pairs_per_split: rows of each STS-B and SICK split file.
        seed: seed of the sentences and scores.
    """
    rng = random.Random(seed)
    root = Path(root)
    for year, subsets in STS_YEAR_SUBSETS.items():
        folder = root / "STS" / f"{year}-en-test"
        _write_sts_year(folder, subsets, pairs_per_subset, unscored_per_subset, rng)
    for split in STSB_SPLITS:
        rows = [
            f"main-captions\tMSRvid\t2012test\t{index:04d}\t{rng.uniform(0.0, 5.0):.3f}\t"
            f"{_sentence(rng)}\t{_sentence(rng)}"
            for index in range(pairs_per_split)
        ]
        _write(root / "STS" / "STSBenchmark" / f"sts-{split}.csv", rows)
    for split, file_name in SICK_SPLIT_FILES.items():
        rows = [
            f"{index + 1}\t{_sentence(rng).capitalize()}\t{_sentence(rng).capitalize()}\t"
            f"{rng.uniform(1.0, 5.0):.1f}\t{rng.choice(SICK_LABELS)}"
            for index in range(pairs_per_split)
        ]
        newline = "\r\n" if split == "test" else "\n"
        _write(root / "SICK" / file_name, [SICK_HEADER, *rows], newline)
    return root
