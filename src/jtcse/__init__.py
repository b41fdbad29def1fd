"""jtcse: JTCSE sentence embeddings (towers, cross-attention joint training, distillation)."""

__version__ = "0.1.0"
