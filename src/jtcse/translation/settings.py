"""The settings of the ``round_trip_translation`` stage. Imports no torch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jtcse.field_checks import require_bool, require_integer, require_real

PIVOT_KEYS = ("forward", "backward")  # round_trip_translation.pivots.<tower>: the two models


@dataclass(frozen=True)
class RoundTripSettings:
    """How the corpus is translated and which round trips are kept.

    Attributes:
        enabled: translate (false: each pivot file is written empty, at no cost).
        max_sentences: translate the first this many corpus sentences (None: all).
        chunk_sentences: sentences per resumable chunk (an interruption loses at most one).
        batch_size: sentences per ``generate`` call (length-sorted batches).
        max_length: truncation of the inputs and most new tokens of each translation.
        num_beams: beam width of ``generate`` (1: greedy).
        max_length_ratio: a round trip with more than this many times the sentence's
            whitespace words is degenerate (a translation that runs on).
        max_repeats: a round trip with one word more than this many times in a row is
            degenerate ("the the the the").
    """

    enabled: bool = False
    max_sentences: int | None = None
    chunk_sentences: int = 1024
    batch_size: int = 32
    max_length: int = 128
    num_beams: int = 1
    max_length_ratio: float = 3.0
    max_repeats: int = 3

    def __post_init__(self) -> None:
        require_bool("enabled", self.enabled)
        require_integer("max_sentences", self.max_sentences, minimum=1, optional=True)
        for name in ("chunk_sentences", "batch_size", "max_length", "num_beams", "max_repeats"):
            require_integer(name, getattr(self, name), minimum=1)
        require_real("max_length_ratio", self.max_length_ratio, strict=True)

    def generation(self) -> dict[str, Any]:
        """What determines the translations of a chunk (its resume fingerprint)."""
        return {"max_length": self.max_length, "num_beams": self.num_beams}


def pivot_models(parameters: Mapping[str, Any], tower: str) -> tuple[str, str]:
    """``round_trip_translation.pivots.<tower>``: the (forward, backward) model names."""
    where = f"round_trip_translation.pivots.{tower}"
    pivot = (parameters.get("pivots") or {}).get(tower)
    if not isinstance(pivot, Mapping) or set(pivot) != set(PIVOT_KEYS):
        raise ValueError(f"{where}: expected {{forward: MODEL, backward: MODEL}}; got {pivot!r}")
    return str(pivot["forward"]), str(pivot["backward"])
