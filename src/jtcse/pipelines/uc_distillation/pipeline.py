"""Wiring of the ``uc_distillation`` pipeline: the distillation pipeline's teacher and training
nodes on ``params:uc_distillation`` (whose ``teacher_uc`` names the external encoder), in the
namespace ``student_uc``."""

from kedro.pipeline import Pipeline, pipeline

from jtcse.pipelines.distillation.pipeline import create_pipeline as distillation_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    """``jtcse_tower_{1,2}`` + ``training_corpus`` -> ``uc_teacher_embeddings`` ->
    ``student_uc`` (not logged as an MLflow model: ``distillation`` logs its student)."""
    training = distillation_pipeline().only_nodes("compute_teacher_embeddings", "train_student")
    return pipeline(
        training,
        namespace="student_uc",
        inputs={
            "jtcse_tower_1": "jtcse_tower_1",
            "jtcse_tower_2": "jtcse_tower_2",
            "training_corpus": "training_corpus",
            "sts_pairs": "sts_pairs",
            "student_work": "student_uc_work",
        },
        outputs={
            "teacher_embeddings": "uc_teacher_embeddings",
            "student": "student_uc",
            "student_training_curve": "student_uc_training_curve",
        },
        parameters={"params:distillation": "params:uc_distillation"},
    )
