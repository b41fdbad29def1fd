"""Wiring of the ``distillation`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.chain.folders import joint_folders
from jtcse.pipelines.distillation.nodes import (
    compute_teacher_embeddings,
    log_student_model,
    train_student_node,
)


def create_pipeline(**kwargs) -> Pipeline:
    """``jtcse_tower_{1,2}`` + ``training_corpus`` -> ``teacher_embeddings`` -> ``student``
    (also logged to MLflow as a pyfunc model)."""
    return pipeline(
        [
            node(
                compute_teacher_embeddings,
                [*joint_folders("jtcse"), "training_corpus", "params:distillation"],
                "teacher_embeddings",
                name="compute_teacher_embeddings",
            ),
            node(
                train_student_node,
                [
                    "training_corpus",
                    "teacher_embeddings",
                    "sts_pairs",
                    "student_work",
                    "params:distillation",
                ],
                ["student", "student_training_curve"],
                name="train_student",
            ),
            node(log_student_model, "student", None, name="log_student_model"),
        ]
    )
