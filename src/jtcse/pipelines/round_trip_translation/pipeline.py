"""Wiring of the ``round_trip_translation`` pipeline: one namespaced run per tower."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import TOWERS
from jtcse.pipelines.round_trip_translation.nodes import translate_round_trips


def create_pipeline(**kwargs) -> Pipeline:
    """``training_corpus`` -> ``<tower>_round_trip`` (the tower's ``sentence<TAB>round_trip``
    file) and ``<tower>_round_trip_statistics``, for ``tower_1`` and ``tower_2``."""
    translate = pipeline(
        [
            node(
                translate_round_trips,
                ["training_corpus", "work", "params:round_trip_translation", "run_name"],
                ["round_trip", "statistics"],
                name="translate",
            )
        ]
    )
    return sum(
        (
            pipeline(
                translate,
                namespace=tower,
                inputs={"training_corpus": "training_corpus", "work": f"{tower}_rtt_work"},
                parameters={"params:round_trip_translation"},
                outputs={
                    "round_trip": f"{tower}_round_trip",
                    "statistics": f"{tower}_round_trip_statistics",
                },
            )
            for tower in TOWERS
        ),
        Pipeline([]),
    )
