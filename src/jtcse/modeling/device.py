"""Which device models run on (:func:`default_device`), apart from model loading so that the
precision rule (:mod:`jtcse.modeling.precision`) needs nothing else."""

from __future__ import annotations

import os

import torch

# Set to a torch device name (e.g. ``cpu``) to choose the device: a GPU machine can then run
# CPU-only work, such as the multi-process tests on gloo. Worker processes inherit it.
DEVICE_VARIABLE = "JTCSE_DEVICE"


def default_device() -> torch.device:
    """The device models run on: ``$JTCSE_DEVICE`` when set, else the first CUDA GPU when there
    is one, else the CPU."""
    if os.environ.get(DEVICE_VARIABLE):
        return torch.device(os.environ[DEVICE_VARIABLE])
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def uses_cuda() -> bool:
    """Whether :func:`default_device` is a CUDA GPU."""
    return default_device().type == "cuda"
