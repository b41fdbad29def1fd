"""Stage 1: two towers trained from the base model with unsupervised SimCSE."""

from jtcse.pipelines.tower_training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
