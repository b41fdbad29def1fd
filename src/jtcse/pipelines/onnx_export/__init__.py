"""Export the distilled student to ONNX (fp32 and int8) with parity and quality checks."""

from jtcse.pipelines.onnx_export.pipeline import create_pipeline

__all__ = ["create_pipeline"]
