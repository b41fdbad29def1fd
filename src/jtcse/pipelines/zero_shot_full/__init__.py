"""The ``zero_shot_full`` study: the zero-shot pipeline on ``zero_shot_full.tasks`` (the full
suite), its outputs under the ``zero_shot_full.`` namespace."""

from jtcse.pipelines.zero_shot_full.pipeline import create_pipeline

__all__ = ["create_pipeline"]
