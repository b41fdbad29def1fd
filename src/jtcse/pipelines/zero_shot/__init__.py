"""Zero-shot evaluation of the configured encoders with the real mteb library."""

from jtcse.pipelines.zero_shot.pipeline import create_pipeline

__all__ = ["create_pipeline"]
