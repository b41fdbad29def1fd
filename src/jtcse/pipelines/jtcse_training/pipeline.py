"""Wiring of the ``jtcse_training`` pipeline: one namespaced run each for TNCSE and JTCSE."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import JOINT_RUNS
from jtcse.pipelines.jtcse_training.nodes import train_joint_node


def joint_run() -> Pipeline:
    """One joint run from the stage-1 towers; the namespace (``tncse`` or ``jtcse``) gives
    ``run_name``."""
    return pipeline(
        [
            node(
                train_joint_node,
                [
                    "stage_1_tower_1",
                    "stage_1_tower_2",
                    "training_corpus",
                    "sts_pairs",
                    "work",
                    "params:jtcse_training",
                    "run_name",
                ],
                ["tower_1", "tower_2", "training_curve"],
                name="train",
            )
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """``tower_1`` + ``tower_2`` -> ``{tncse,jtcse}_tower_{1,2}`` model folders; the node of
    run ``r`` is ``r.train`` and only ``r.run_name`` stays inside its namespace."""
    return sum(
        (
            pipeline(
                joint_run(),
                namespace=run,
                inputs={
                    "stage_1_tower_1": "tower_1",
                    "stage_1_tower_2": "tower_2",
                    "training_corpus": "training_corpus",
                    "sts_pairs": "sts_pairs",
                    "work": f"{run}_work",
                },
                parameters={"params:jtcse_training"},
                outputs={
                    "tower_1": f"{run}_tower_1",
                    "tower_2": f"{run}_tower_2",
                    "training_curve": f"{run}_training_curve",
                },
            )
            for run in JOINT_RUNS
        ),
        Pipeline([]),
    )
