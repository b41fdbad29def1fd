"""The ``ablation`` pipeline: the seeded ablation study (not part of the default chain)."""

from jtcse.pipelines.ablation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
