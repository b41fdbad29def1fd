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
from dataclasses import dataclass
from typing import Any

BF16_KEYS = ("bf16", "teacher_bf16")
RUNTIME_SECTION = "runtime"  # the parameters every run reads (DeterministicRunHook)


@dataclass(frozen=True)
class RuntimeSettings:
    """The ``runtime`` section: ``deterministic`` runs, their intra-op ``threads``, and
    ``compile`` (auto, on, off: :mod:`jtcse.modeling.compiling`; a deterministic run never
    compiles, since generated kernels differ between machines)."""

    deterministic: bool = False
    threads: int = 1
    compile: str = "auto"


def runtime_settings(parameters: Mapping[str, Any]) -> RuntimeSettings:
    """The ``runtime`` section of ``parameters``, checked (defaults: :class:`RuntimeSettings`)."""
    from jtcse.modeling.compiling import COMPILE_SETTINGS

    runtime = {**vars(RuntimeSettings()), **(parameters.get(RUNTIME_SECTION) or {})}
    deterministic, threads, compile = (
        runtime["deterministic"],
        runtime["threads"],
        runtime["compile"],
    )
    if not isinstance(deterministic, bool):
        raise ValueError(f"runtime.deterministic: expected true or false, got {deterministic!r}")
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"runtime.threads: expected an integer >= 1, got {threads!r}")
    if compile not in COMPILE_SETTINGS:
        raise ValueError(
            f"runtime.compile: expected one of {', '.join(COMPILE_SETTINGS)}, got {compile!r}"
        )
    if deterministic and compile == "on":
        raise ValueError("runtime.compile: on contradicts runtime.deterministic: true")
    return RuntimeSettings(deterministic, threads, "off" if deterministic else compile)


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
