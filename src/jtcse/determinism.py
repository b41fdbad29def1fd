"""Deterministic runs, for when two machines must agree bit for bit.

With ``runtime.deterministic: true`` (``conf/base/parameters_runtime.yml``) a ``kedro run``
trains and evaluates in float32 throughout (every ``bf16`` and ``teacher_bf16`` switch of the
parameters is turned off), with ``torch.use_deterministic_algorithms(True)`` and
``runtime.threads`` intra-op threads whatever the machine's core count. What it buys is
measured by ``benchmarks/determinism.py`` (docs/operations.md#reproducibility).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

BF16_KEYS = ("bf16", "teacher_bf16")
RUNTIME_SECTION = "runtime"  # the parameters every run reads (DeterministicRunHook)


def runtime_settings(parameters: Mapping[str, Any]) -> tuple[bool, int]:
    """``(runtime.deterministic, runtime.threads)``, checked (defaults: false, 1)."""
    runtime = parameters.get(RUNTIME_SECTION) or {}
    deterministic = runtime.get("deterministic", False)
    threads = runtime.get("threads", 1)
    if not isinstance(deterministic, bool):
        raise ValueError(f"runtime.deterministic: expected true or false, got {deterministic!r}")
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"runtime.threads: expected an integer >= 1, got {threads!r}")
    return deterministic, threads


def float32_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``parameters`` with every ``bf16`` / ``teacher_bf16`` key, at any depth, false."""

    def visit(tree: Any) -> Any:
        if isinstance(tree, Mapping):
            return {key: False if key in BF16_KEYS else visit(value) for key, value in tree.items()}
        return tree

    return visit(copy.deepcopy(dict(parameters)))


def make_torch_deterministic(threads: int) -> None:
    """Deterministic kernels (an error where torch has none), ``threads`` intra-op threads,
    and the cuBLAS workspace setting that deterministic CUDA matmuls need."""
    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.set_num_threads(threads)
