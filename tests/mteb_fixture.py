"""A BIOSSES-format local task copy made of the tiny corpus, for offline mteb tests."""

from __future__ import annotations

from pathlib import Path

from tests.tiny_bert import TINY_CORPUS

BIOSSES_SCORES = [4.0, 0.5, 1.0, 3.5, 2.0, 0.0, 3.0, 1.5, 2.5, 4.0, 0.25, 1.75]
# pair i: (TINY_CORPUS[i], BIOSSES_SECOND[i])
BIOSSES_SECOND = [TINY_CORPUS[(i * 5 + 1) % 12] for i in range(12)]


def write_biosses_copy(data_root: Path) -> Path:
    """Write ``<data_root>/mteb_style/biosses`` (12 pairs, one score a line) and return it."""
    folder = data_root / "mteb_style" / "biosses"
    folder.mkdir(parents=True)
    lines = [
        sentence for pair in zip(TINY_CORPUS, BIOSSES_SECOND, strict=True) for sentence in pair
    ]
    (folder / "biosses_sentence_pairs_test_derived_from_github.txt").write_text(
        "\n".join(lines) + "\n"
    )
    (folder / "annotation_scores_from_github.txt").write_text("\n".join(map(str, BIOSSES_SCORES)))
    return folder
