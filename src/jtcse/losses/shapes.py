"""Shape and argument checks shared by the losses (each names the bad argument)."""

from __future__ import annotations

from torch import Tensor

NORM_EPS = 1e-12  # lower bound on vector norms, so zero vectors give 0 instead of NaN


def check_matrix(name: str, tensor: Tensor) -> None:
    if tensor.dim() != 2:
        raise ValueError(f"{name} must be a [rows, hidden] matrix, got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row, got shape {tuple(tensor.shape)}")


def check_paired_rows(name: str, tensor: Tensor) -> None:
    check_matrix(name, tensor)
    if tensor.shape[0] % 2 != 0:
        raise ValueError(
            f"{name} must have an even number of rows (two views per sentence), "
            f"got {tensor.shape[0]} rows"
        )


def check_same_shape(name: str, tensor: Tensor, reference_name: str, reference: Tensor) -> None:
    if tensor.shape != reference.shape:
        raise ValueError(
            f"{name} must have the shape of {reference_name} {tuple(reference.shape)}, "
            f"got {tuple(tensor.shape)}"
        )


def check_temperature(temperature: float) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
