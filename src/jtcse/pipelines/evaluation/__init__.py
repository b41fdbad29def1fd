"""Evaluate the configured encoders on STS12-16, STS-B and SICK-R."""

from jtcse.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
