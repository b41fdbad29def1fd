"""Where the cross-attention layers of a twin-tower model sit (docs/method.md#cross-attention).
Imports no torch, so parameters are checked against it before any node runs."""

from __future__ import annotations


def cross_attention_layer_indices(num_layers: int, num_cross_attention_layers: int) -> list[int]:
    """0-indexed cross-attention layers: with s = L / n, the 1-indexed layers s, 2s, ..., L.

    Example: L = 12, n = 4 gives [2, 5, 8, 11]; n = 0 gives [] (no coupling). Raises a
    ValueError naming ``num_cross_attention_layers`` when n < 0 or n does not divide L.
    """
    if num_cross_attention_layers < 0:
        raise ValueError(
            f"num_cross_attention_layers must be >= 0; got {num_cross_attention_layers}"
        )
    if num_cross_attention_layers and num_layers % num_cross_attention_layers:
        raise ValueError(
            f"num_cross_attention_layers must divide the number of layers ({num_layers}); "
            f"got {num_cross_attention_layers}"
        )
    if num_cross_attention_layers == 0:
        return []
    spacing = num_layers // num_cross_attention_layers
    return list(range(spacing - 1, num_layers, spacing))
