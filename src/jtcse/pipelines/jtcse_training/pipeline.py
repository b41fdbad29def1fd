"""Wiring of the ``jtcse_training`` pipeline."""

from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.jtcse_training.nodes import train_joint_node

RUNS = ("tncse", "jtcse")


def create_pipeline(**kwargs) -> Pipeline:
    """``tower_1`` + ``tower_2`` -> ``{tncse,jtcse}_tower_{1,2}`` model folders."""
    return pipeline(
        [
            node(
                update_wrapper(partial(train_joint_node, run_name=run), train_joint_node),
                [
                    "tower_1",
                    "tower_2",
                    "training_corpus",
                    "sts_pairs",
                    f"{run}_work",
                    "params:jtcse_training",
                ],
                [f"{run}_tower_1", f"{run}_tower_2", f"{run}_training_curve"],
                name=f"train_{run}",
            )
            for run in RUNS
        ]
    )
