"""Wiring of the ``evaluation`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.evaluation.nodes import evaluate_sts_encoders


def create_pipeline(**kwargs) -> Pipeline:
    """``sts_pairs`` + encoders in parameters -> results JSON and Markdown."""
    return pipeline(
        [
            node(
                evaluate_sts_encoders,
                ["sts_pairs", "params:evaluation"],
                ["sts_results", "sts_results_markdown"],
                name="evaluate_sts_encoders",
            )
        ]
    )
