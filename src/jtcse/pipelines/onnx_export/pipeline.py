"""Wiring of the ``onnx_export`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.onnx_export.nodes import export_student_onnx


def create_pipeline(**kwargs) -> Pipeline:
    """``student`` -> ``student_onnx``, ``student_onnx_int8`` and the export report."""
    return pipeline(
        [
            node(
                export_student_onnx,
                [
                    "student",
                    "training_corpus",
                    "sts_pairs",
                    "onnx_export_work",
                    "params:onnx_export",
                ],
                ["student_onnx", "student_onnx_int8", "onnx_export_report"],
                name="export_student_onnx",
            )
        ]
    )
