"""Prepare the unsupervised training corpus: one sentence per line, filtered and decontaminated.

:func:`prepare_corpus` applies, in this order:

1. whitespace normalisation (every run of Unicode whitespace becomes one space, ends stripped);
2. length filter on whitespace words: drop empty lines, lines with fewer than
   ``min_words`` words and lines with more than ``max_words`` words;
3. exact de-duplication of the normalised text (the first occurrence is kept, order is kept);
4. leakage guard: drop every sentence whose :func:`leakage_key` equals the key of an
   evaluation sentence, so that no STS/SICK sentence is trained on (the key ignores case,
   punctuation and spacing, as in the decontamination of the shared data folder);
5. optional seeded subsampling to ``max_sentences`` sentences, kept in corpus order.

Each step reports how many sentences it dropped, so that
``input == empty + too_short + too_long + duplicate + leaked + subsampled_out + output``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jtcse.data.senteval import rejoin_tokens

_NOT_KEY_CHARACTER = re.compile(r"[^0-9a-z]")


@dataclass(frozen=True)
class CorpusFilter:
    """Knobs of :func:`prepare_corpus`.

    Attributes:
        min_words: the fewest whitespace-separated words a sentence may have (>= 1).
        max_words: the most words a sentence may have (>= ``min_words``).
        max_sentences: keep at most this many sentences, drawn at random (None: keep all).
        seed: seed of the ``random.Random`` that draws the subsample.
    """

    min_words: int = 3
    max_words: int = 64
    max_sentences: int | None = None
    seed: int = 42

    def __post_init__(self) -> None:
        for name in ("min_words", "max_words", "seed"):
            value = getattr(self, name)
            if not _is_int(value):
                raise ValueError(f"CorpusFilter.{name} must be an integer, got {value!r}")
        if self.min_words < 1:
            raise ValueError(f"CorpusFilter.min_words must be >= 1, got {self.min_words!r}")
        if self.max_words < self.min_words:
            raise ValueError(
                f"CorpusFilter.max_words must be >= min_words ({self.min_words}), "
                f"got {self.max_words!r}"
            )
        if self.max_sentences is not None and (
            not _is_int(self.max_sentences) or self.max_sentences < 1
        ):
            raise ValueError(
                f"CorpusFilter.max_sentences must be None or an integer >= 1, "
                f"got {self.max_sentences!r}"
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_corpus(path: Path) -> list[str]:
    """Read a UTF-8 text file with one sentence per line.

    Line endings (``\\n``, ``\\r\\n`` or ``\\r``) are removed; nothing else is changed, so
    the result has one entry per line of the file (``wc -l`` entries when the file ends with
    a newline).

    Raises:
        FileNotFoundError: ``path`` is not an existing file.
        ValueError: the file is not valid UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"training corpus not found: {path} (expected a UTF-8 text file, one sentence per line)"
        )
    try:
        # newline=None: universal newlines, so CRLF and CR endings read as "\n".
        with path.open(encoding="utf-8", newline=None) as handle:
            return [line.removesuffix("\n") for line in handle]
    except UnicodeDecodeError as error:
        raise ValueError(
            f"training corpus {path} is not valid UTF-8 (byte {error.start}: {error.reason})"
        ) from None


def leakage_key(text: str) -> str:
    """The decontamination key of a sentence: NFKC-normalised, lowercased, and reduced to the
    characters ``[0-9a-z]``, so that case, punctuation, spacing and tokenisation do not matter
    (``"A man, playing!"`` and ``"a man playing"`` share the key ``"amanplaying"``)."""
    return _NOT_KEY_CHARACTER.sub("", unicodedata.normalize("NFKC", text).lower())


def prepare_corpus(
    sentences: Iterable[str],
    evaluation_sentences: Iterable[str],
    corpus_filter: CorpusFilter,
) -> tuple[list[str], dict[str, int]]:
    """Filter, de-duplicate, decontaminate and optionally subsample a training corpus.

    Args:
        sentences: raw training sentences, in corpus order.
        evaluation_sentences: every sentence of the evaluation sets; a training sentence with
            the same :func:`leakage_key` is dropped. Keys that are empty (no letter or digit)
            are ignored, so they cannot match every punctuation-only line.
        corpus_filter: length limits, subsample size and seed.

    Returns:
        The kept sentences (normalised, in corpus order) and the counts ``input``, ``empty``,
        ``too_short``, ``too_long``, ``duplicate``, ``leaked``, ``subsampled_out`` and
        ``output``; the drop counts and ``output`` add up to ``input``.
    """
    evaluation_keys = {leakage_key(sentence) for sentence in evaluation_sentences} - {""}
    counts = dict.fromkeys(
        ("input", "empty", "too_short", "too_long", "duplicate", "leaked", "subsampled_out"), 0
    )
    seen: set[str] = set()
    kept: list[str] = []
    for raw in sentences:
        counts["input"] += 1
        sentence = rejoin_tokens(raw)  # whitespace as SentEval normalises it
        reason = _drop_reason(sentence, corpus_filter, seen, evaluation_keys)
        if reason is None:
            kept.append(sentence)
        else:
            counts[reason] += 1
        seen.add(sentence)
    if corpus_filter.max_sentences is not None and len(kept) > corpus_filter.max_sentences:
        chosen = random.Random(corpus_filter.seed).sample(
            range(len(kept)), corpus_filter.max_sentences
        )
        counts["subsampled_out"] = len(kept) - len(chosen)
        kept = [kept[index] for index in sorted(chosen)]
    counts["output"] = len(kept)
    return kept, counts


def _drop_reason(
    sentence: str, corpus_filter: CorpusFilter, seen: set[str], evaluation_keys: set[str]
) -> str | None:
    """Why a normalised sentence is dropped (the first reason that applies), or None."""
    if not sentence:
        return "empty"
    words = sentence.count(" ") + 1
    if words < corpus_filter.min_words:
        return "too_short"
    if words > corpus_filter.max_words:
        return "too_long"
    if sentence in seen:
        return "duplicate"
    if leakage_key(sentence) in evaluation_keys:
        return "leaked"
    return None
