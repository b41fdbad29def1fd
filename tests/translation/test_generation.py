"""Round-trip translation: batched generation in input order, chunks resumed, degenerate lines
left out with their counts, the two-column file and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jtcse.parameters import round_trip_settings, validate_parameters
from jtcse.translation.generation import Translator, round_trip_corpus
from jtcse.translation.settings import RoundTripSettings, pivot_models
from jtcse.translation.views import read_round_trip_views, round_trip_lines
from tests.fixtures.tiny_bert import TINY_CORPUS
from tests.fixtures.tiny_seq2seq import build_tiny_seq2seq

SETTINGS = RoundTripSettings(enabled=True, chunk_sentences=5, batch_size=3, max_length=12)


@pytest.fixture(scope="module")
def translators(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("seq2seq")
    return str(build_tiny_seq2seq(folder / "forward", 1)), str(
        build_tiny_seq2seq(folder / "back", 2)
    )


def test_batched_translation_keeps_the_input_order(translators) -> None:
    translator = Translator(translators[0])
    batched = translator.translate(TINY_CORPUS, SETTINGS)
    one_by_one = [translator.translate([sentence], SETTINGS)[0] for sentence in TINY_CORPUS]
    assert batched == one_by_one


def test_a_rerun_resumes_from_the_finished_chunks(translators, tmp_path: Path) -> None:
    first = round_trip_corpus(TINY_CORPUS, *translators, SETTINGS, tmp_path)
    chunks = sorted(tmp_path.glob("chunk-*.json"))
    assert len(first) == len(TINY_CORPUS) and len(chunks) == 3  # 12 sentences, 5 a chunk
    # an interrupted run: the last chunk is lost, another is damaged, a third was made with
    # other models; only those are translated again
    chunks[2].unlink()
    chunks[1].write_text("{ half a chunk")
    saved = json.loads(chunks[0].read_text())
    saved["round_trips"] = ["marker"] * 5
    chunks[0].write_text(json.dumps(saved))
    again = round_trip_corpus(TINY_CORPUS, *translators, SETTINGS, tmp_path)
    assert again == ["marker"] * 5 + first[5:]  # chunk 0 was reused as it was
    other = round_trip_corpus(TINY_CORPUS, translators[1], translators[0], SETTINGS, tmp_path)
    assert other[:5] != ["marker"] * 5  # another pivot: every chunk is translated again


def test_degenerate_round_trips_are_left_out_and_counted() -> None:
    settings = RoundTripSettings(max_length_ratio=2.0, max_repeats=2)
    sentences = ["a cat sits .", "a dog runs .", "one", "so so", "tab\there", "kept as is ."]
    round_trips = ["a cat is\tsitting\n.", "  ", "one two three", "so so so", "x", "kept as is ."]
    lines, statistics = round_trip_lines(sentences, round_trips, settings)
    assert lines == ["a cat sits .\ta cat is sitting .", "kept as is .\tkept as is ."]
    assert statistics == {
        "sentences": 6,
        "kept": 2,
        "unchanged": 1,
        "empty": 1,
        "too_long": 1,
        "repeated_word": 1,
        "tab_in_sentence": 1,
    }
    assert read_round_trip_views("\n".join(lines), "f.tsv") == {
        "a cat sits .": "a cat is sitting .",
        "kept as is .": "kept as is .",
    }
    with pytest.raises(ValueError, match=r"^f\.tsv: line 2: expected 'sentence<TAB>round_trip'"):
        read_round_trip_views("a\tb\nno tab here\n", "f.tsv")


def test_parameters_are_checked_with_their_path() -> None:
    assert round_trip_settings(None) == RoundTripSettings()  # absent: off
    with pytest.raises(ValueError, match=r"^round_trip_translation\.batch_size: expected int"):
        round_trip_settings({"batch_size": "many"})
    with pytest.raises(ValueError, match=r"round_trip_translation\.pivots\.tower_2: expected"):
        pivot_models({"pivots": {"tower_1": {"forward": "a", "backward": "b"}}}, "tower_2")
    towers = {
        "base_model": "m",
        "training": {"learning_rate": 1e-5, "batch_size": 8},
        "towers": {"tower_1": {"settings": {"augmentation": "round_trip"}}},
    }
    with pytest.raises(ValueError, match=r"tower_1\.settings\.augmentation: round_trip needs"):
        validate_parameters({"tower_training": towers, "round_trip_translation": {}})
