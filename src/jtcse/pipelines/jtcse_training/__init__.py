"""Stage 2: joint training of the two towers (TNCSE without, JTCSE with cross-attention)."""

from jtcse.pipelines.jtcse_training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
