"""Prepare the training corpus and the tidy STS evaluation table."""

from jtcse.pipelines.data_preparation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
