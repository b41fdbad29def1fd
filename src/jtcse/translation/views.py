"""The round-trip file: one ``sentence<TAB>round_trip`` line per kept sentence, UTF-8.

A round trip is kept unless it is degenerate: empty, running on (more than
``max_length_ratio`` times the sentence's whitespace words) or stuck on one word (repeated
more than ``max_repeats`` times in a row); a sentence holding a tab cannot be written and is
left out too. Whitespace inside a round trip (tabs and newlines included) becomes single
spaces. :func:`round_trip_lines` counts what it left out, by reason.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from jtcse.translation.settings import RoundTripSettings

REASONS = ("empty", "too_long", "repeated_word", "tab_in_sentence")


def degenerate_reason(sentence: str, round_trip: str, settings: RoundTripSettings) -> str | None:
    """Why ``round_trip`` (already whitespace-normalised) is left out, or None to keep it."""
    if "\t" in sentence:
        return "tab_in_sentence"
    words = round_trip.split()
    if not words:
        return "empty"
    if len(words) > settings.max_length_ratio * max(len(sentence.split()), 1):
        return "too_long"
    if max(len(list(run)) for _, run in itertools.groupby(words)) > settings.max_repeats:
        return "repeated_word"
    return None


def round_trip_lines(
    sentences: Sequence[str], round_trips: Sequence[str], settings: RoundTripSettings
) -> tuple[list[str], dict[str, Any]]:
    """The kept ``sentence<TAB>round_trip`` lines (in corpus order) and the statistics:
    ``sentences``, ``kept``, ``unchanged`` (kept, equal to the sentence) and one count per
    reason of :data:`REASONS`."""
    if len(sentences) != len(round_trips):
        raise ValueError(f"{len(round_trips)} round trips for {len(sentences)} sentences")
    lines, counts = [], dict.fromkeys(REASONS, 0)
    unchanged = 0
    for sentence, round_trip in zip(sentences, round_trips, strict=True):
        normalised = " ".join(round_trip.split())
        reason = degenerate_reason(sentence, normalised, settings)
        if reason is not None:
            counts[reason] += 1
            continue
        unchanged += normalised == sentence
        lines.append(f"{sentence}\t{normalised}")
    return lines, {
        "sentences": len(sentences),
        "kept": len(lines),
        "unchanged": unchanged,
        **counts,
    }


def read_round_trip_views(text: str, where: str) -> dict[str, str]:
    """sentence -> round trip from a round-trip file's text; ValueError naming ``where`` and
    the line for a line that is not two tab-separated columns."""
    views = {}
    for number, line in enumerate(text.splitlines(), start=1):
        columns = line.split("\t")
        if len(columns) != 2 or not all(columns):
            raise ValueError(f"{where}: line {number}: expected 'sentence<TAB>round_trip'")
        views[columns[0]] = columns[1]
    return views
