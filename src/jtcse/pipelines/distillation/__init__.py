"""Stage 3: distil the JTCSE ensemble into one student tower (JTCSE-D)."""

from jtcse.pipelines.distillation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
