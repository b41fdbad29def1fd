"""Nodes of the ``round_trip_translation`` pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jtcse.parameters import round_trip_settings
from jtcse.tracking import log_metrics
from jtcse.translation.settings import pivot_models


def translate_round_trips(
    training_corpus: str, work_dir: Path, stage_params: dict[str, Any], tower_name: str
) -> tuple[str, dict[str, Any]]:
    """Translate the corpus through the pivot of ``tower_name`` and back.

    Args:
        training_corpus: one sentence per line; the first ``max_sentences`` are translated.
        work_dir: the finished chunks (a rerun resumes from them).
        stage_params: :class:`~jtcse.translation.settings.RoundTripSettings` fields and
            ``pivots.<tower>`` (``forward``,
            ``backward``: any ``AutoModelForSeq2SeqLM`` folder or Hub id).
        tower_name: the tower whose pivot this is.

    Returns:
        The round-trip file's text (``sentence<TAB>round_trip`` lines, degenerate ones left
        out; empty when ``enabled`` is false) and its statistics (logged to MLflow as
        ``<tower>.round_trip.<count>``).
    """
    settings = round_trip_settings(stage_params)
    if not settings.enabled:
        return "", {"enabled": False}
    # imported here, not at the top: Kedro's start-up stays free of torch
    from jtcse.translation.generation import round_trip_corpus
    from jtcse.translation.views import round_trip_lines

    forward, backward = pivot_models(stage_params, tower_name)
    sentences = training_corpus.splitlines()[: settings.max_sentences]
    round_trips = round_trip_corpus(
        sentences, forward, backward, settings, work_dir, name=f"{tower_name} round trip"
    )
    lines, statistics = round_trip_lines(sentences, round_trips, settings)
    log_metrics(statistics, f"{tower_name}.round_trip.")
    text = "".join(f"{line}\n" for line in lines)
    return text, {"enabled": True, "forward": forward, "backward": backward, **statistics}
