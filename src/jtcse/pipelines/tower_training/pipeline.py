"""Wiring of the ``tower_training`` pipeline: one namespaced run per tower."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import TOWERS
from jtcse.pipelines.tower_training.nodes import train_tower_node


def tower_run() -> Pipeline:
    """One tower's training; the namespace (``tower_1`` or ``tower_2``) gives ``run_name``."""
    return pipeline(
        [
            node(
                train_tower_node,
                [
                    "training_corpus",
                    "sts_pairs",
                    "work",
                    "params:tower_training",
                    "run_name",
                    "round_trip",
                ],
                ["model", "training_curve"],
                name="train",
            )
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """``training_corpus`` + ``sts_pairs`` (+ each tower's round-trip file) -> ``tower_1`` and
    ``tower_2`` model folders; the
    node of tower ``t`` is ``t.train`` and only ``t.run_name`` stays inside its namespace."""
    return sum(
        (
            pipeline(
                tower_run(),
                namespace=tower,
                inputs={
                    "training_corpus": "training_corpus",
                    "sts_pairs": "sts_pairs",
                    "work": f"{tower}_work",
                    "round_trip": f"{tower}_round_trip",
                },
                parameters={"params:tower_training"},
                outputs={"model": tower, "training_curve": f"{tower}_training_curve"},
            )
            for tower in TOWERS
        ),
        Pipeline([]),
    )
