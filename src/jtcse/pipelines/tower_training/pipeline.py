"""Wiring of the ``tower_training`` pipeline."""

from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.tower_training.nodes import train_tower_node

TOWERS = ("tower_1", "tower_2")


def create_pipeline(**kwargs) -> Pipeline:
    """``training_corpus`` + ``sts_pairs`` -> ``tower_1`` and ``tower_2`` model folders."""
    return pipeline(
        [
            node(
                update_wrapper(partial(train_tower_node, tower_name=tower), train_tower_node),
                ["training_corpus", "sts_pairs", f"{tower}_work", "params:tower_training"],
                [tower, f"{tower}_training_curve"],
                name=f"train_{tower}",
            )
            for tower in TOWERS
        ]
    )
