"""Tests of the training-corpus preparation (jtcse.data.corpus)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from jtcse.data.corpus import (
    CorpusFilter,
    leakage_key,
    prepare_corpus,
    read_corpus,
)
from jtcse.data.senteval import rejoin_tokens as normalise_whitespace

COUNT_NAMES = {
    "input",
    "empty",
    "too_short",
    "too_long",
    "duplicate",
    "leaked",
    "subsampled_out",
    "output",
}


def _naive_normalise(text: str) -> str:
    """Reference: map each whitespace character to a space, then drop empty pieces."""
    spaced = "".join(" " if character.isspace() else character for character in text)
    return " ".join(piece for piece in spaced.split(" ") if piece)


def _assert_counts_add_up(counts: dict[str, int]) -> None:
    assert set(counts) == COUNT_NAMES
    dropped = sum(value for name, value in counts.items() if name not in {"input", "output"})
    assert dropped + counts["output"] == counts["input"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a\tb\n c  ", "a b c"),
        ("non\u00a0breaking\u00a0space", "non breaking space"),
        ("thin\u2009and\u3000ideographic\u2028line", "thin and ideographic line"),
        ("tab\t\t\tand\r\nCRLF", "tab and CRLF"),
        (" \t\u00a0\n ", ""),
        ("", ""),
        ("already clean", "already clean"),
    ],
)
def test_normalise_whitespace(raw: str, expected: str) -> None:
    assert normalise_whitespace(raw) == expected
    assert normalise_whitespace(raw) == _naive_normalise(raw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A man, is PLAYING a guitar!", "amanisplayingaguitar"),
        ("a man , is playing a guitar .", "amanisplayingaguitar"),
        ("\uff21 \uff4d\uff41\uff4e 42", "aman42"),  # full-width letters: NFKC makes them ASCII
        ("\ufb01ne", "fine"),  # the "fi" ligature is expanded by NFKC
        ("caf\u00e9 \u0434\u043e\u043c", "caf"),  # non-ASCII letters are not part of the key
        ("?!...", ""),
    ],
)
def test_leakage_key(text: str, expected: str) -> None:
    assert leakage_key(text) == expected


def test_each_drop_reason_is_counted() -> None:
    sentences = [
        "the cat sat on the mat",  # kept (6 words)
        "   ",  # empty
        "",  # empty
        "too short",  # too_short (2 words < 3)
        "one two three four five six seven",  # too_long (7 words > 6)
        "the\tcat sat  on the mat",  # duplicate of the first after normalisation
        "A woman is slicing an onion.",  # leaked
        "dogs run in the park",  # kept
    ]
    kept, counts = prepare_corpus(
        sentences, ["a woman is slicing an onion"], CorpusFilter(min_words=3, max_words=6)
    )
    assert kept == ["the cat sat on the mat", "dogs run in the park"]
    assert counts == {
        "input": 8,
        "empty": 2,
        "too_short": 1,
        "too_long": 1,
        "duplicate": 1,
        "leaked": 1,
        "subsampled_out": 0,
        "output": 2,
    }
    _assert_counts_add_up(counts)


def test_word_limits_are_inclusive() -> None:
    sentences = ["one two", "one two three", "one two three four", "a b c d e"]
    kept, counts = prepare_corpus(sentences, [], CorpusFilter(min_words=3, max_words=4))
    assert kept == ["one two three", "one two three four"]
    assert (counts["too_short"], counts["too_long"]) == (1, 1)


def test_dedupe_keeps_first_occurrence_and_order() -> None:
    sentences = ["b c d", "a b c", "b  c\u00a0d", "x y z", "a b c", "B c d"]
    kept, counts = prepare_corpus(sentences, [], CorpusFilter())
    # exact de-duplication after whitespace normalisation: "B c d" differs in case, so stays
    assert kept == ["b c d", "a b c", "x y z", "B c d"]
    assert counts["duplicate"] == 2
    _assert_counts_add_up(counts)


def test_leakage_guard_catches_case_and_punctuation_variants() -> None:
    evaluation = ["A man is playing a guitar.", "Two dogs run ."]
    sentences = [
        "a man is playing a guitar",
        "A MAN IS PLAYING A GUITAR!!",
        "a man , is playing a guitar .",
        '"A man is playing a guitar"',
        "two dogs run",
        "a man is playing a violin",
        "two dogs run fast",
    ]
    kept, counts = prepare_corpus(sentences, evaluation, CorpusFilter())
    assert kept == ["a man is playing a violin", "two dogs run fast"]
    assert counts["leaked"] == 5
    _assert_counts_add_up(counts)


def test_punctuation_only_evaluation_sentence_leaks_nothing() -> None:
    kept, counts = prepare_corpus(["- - -", "a b c"], ["...", ". . ."], CorpusFilter())
    assert kept == ["- - -", "a b c"]
    assert counts["leaked"] == 0


def test_subsampling_is_seeded_deterministic_and_keeps_order() -> None:
    sentences = [f"sentence number {index}" for index in range(200)]
    corpus_filter = CorpusFilter(max_sentences=50, seed=7)
    kept, counts = prepare_corpus(sentences, [], corpus_filter)
    again, _ = prepare_corpus(sentences, [], corpus_filter)
    other_seed, _ = prepare_corpus(sentences, [], CorpusFilter(max_sentences=50, seed=8))

    assert kept == again
    assert other_seed != kept
    assert len(kept) == 50
    assert (counts["subsampled_out"], counts["output"]) == (150, 50)
    chosen = sorted(random.Random(7).sample(range(200), 50))
    assert kept == [sentences[index] for index in chosen]
    positions = [sentences.index(sentence) for sentence in kept]
    assert positions == sorted(positions)
    _assert_counts_add_up(counts)


def test_subsample_larger_than_corpus_keeps_everything() -> None:
    sentences = ["a b c", "d e f"]
    kept, counts = prepare_corpus(sentences, [], CorpusFilter(max_sentences=5))
    assert kept == sentences
    assert counts["subsampled_out"] == 0


def test_subsampling_happens_after_filtering() -> None:
    sentences = ["short", *[f"long enough {index}" for index in range(10)]]
    kept, counts = prepare_corpus(sentences, ["long enough 0"], CorpusFilter(max_sentences=9))
    assert len(kept) == 9
    assert "long enough 0" not in kept
    assert (counts["too_short"], counts["leaked"], counts["subsampled_out"]) == (1, 1, 0)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"min_words": 0}, "min_words"),
        ({"min_words": 2.5}, "min_words"),
        ({"min_words": True}, "min_words"),
        ({"max_words": 2}, "max_words"),
        ({"max_words": "64"}, "max_words"),
        ({"max_sentences": 0}, "max_sentences"),
        ({"max_sentences": 1.5}, "max_sentences"),
        ({"seed": "42"}, "seed"),
    ],
)
def test_bad_filter_values_raise_naming_the_field(options: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"CorpusFilter\.{field}\b"):
        CorpusFilter(**options)


def test_read_corpus_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_corpus.txt"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        read_corpus(missing)


def test_read_corpus_tolerates_crlf_and_keeps_one_entry_per_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(
        "one two three\r\nfour\u00a0five six\r\n\r\nseven eight nine\ntail line".encode()
    )
    assert read_corpus(path) == [
        "one two three",
        "four\u00a0five six",
        "",
        "seven eight nine",
        "tail line",
    ]


def test_read_corpus_rejects_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 au lait\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not valid UTF-8"):
        read_corpus(path)


def test_read_then_prepare_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text(
        "A dog runs in the park .\r\nA dog runs in the park .\r\nhi\r\n"
        "Someone is slicing an onion\r\nThe weather is nice today\r\n",
        encoding="utf-8",
    )
    kept, counts = prepare_corpus(
        read_corpus(path), ["someone is slicing an onion."], CorpusFilter()
    )
    assert kept == ["A dog runs in the park .", "The weather is nice today"]
    assert counts == {
        "input": 5,
        "empty": 0,
        "too_short": 1,
        "too_long": 0,
        "duplicate": 1,
        "leaked": 1,
        "subsampled_out": 0,
        "output": 2,
    }
