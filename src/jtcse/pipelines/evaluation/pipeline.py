"""Wiring of the ``evaluation`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.evaluation.nodes import evaluate_sts_encoders

MODEL_FOLDERS = (
    "tower_1",
    "tower_2",
    "tncse_tower_1",
    "tncse_tower_2",
    "jtcse_tower_1",
    "jtcse_tower_2",
    "student",
    "student_onnx",
    "student_onnx_int8",
)


def create_pipeline(**kwargs) -> Pipeline:
    """``sts_pairs`` + trained model folders + encoders in parameters -> results JSON, Markdown."""
    inputs = {"sts_pairs": "sts_pairs", "evaluation_params": "params:evaluation"}
    return pipeline(
        [
            node(
                evaluate_sts_encoders,
                inputs | {name: name for name in MODEL_FOLDERS},
                ["sts_results", "sts_results_markdown"],
                name="evaluate_sts_encoders",
            )
        ]
    )
