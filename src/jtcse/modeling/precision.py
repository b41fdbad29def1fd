"""Whether to compute in bfloat16: every ``bf16`` setting is ``true``, ``false`` or ``auto``.

bfloat16 is fast only where the hardware multiplies it natively: CUDA GPUs of compute
capability 8.0 and newer, and CPUs with AMX tiles or AVX512-BF16, where oneDNN runs its
matrix products. Elsewhere (an AVX2-only CPU, say) torch emulates it, and a bf16 matrix
product runs tens of times slower than a float32 one (``benchmarks/precision_speed.py``
measures both). ``auto`` therefore means bfloat16 where it is native and float32 elsewhere;
``true`` forces bfloat16 (with a warning where it is emulated), ``false`` forces float32.
Settings are resolved where they are read, so that everything downstream (model dtypes,
autocast, the embedding cache's keys, MLflow parameters) sees what actually runs.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from jtcse.field_checks import check_bf16_setting

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)


def native_bf16(device: torch.device | str | None = None) -> bool:
    """Whether ``device`` (default: :func:`~jtcse.modeling.device.default_device`) multiplies
    bfloat16 natively: ``torch.cuda.is_bf16_supported()`` on CUDA; AMX tiles or AVX512-BF16
    on the CPU; False on any other device."""
    import torch

    from jtcse.modeling.device import default_device

    device = torch.device(device) if device is not None else default_device()
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return _cpu_bf16()
    return False


@functools.cache
def _cpu_bf16() -> bool:
    import torch

    return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def resolve_bf16(
    setting: bool | str, where: str = "bf16", device: torch.device | str | None = None
) -> bool:
    """The bf16 switch that runs on ``device`` for a setting ``true``, ``false`` or ``auto``
    (see the module); ValueError naming ``where`` for any other value."""
    if check_bf16_setting(setting, where) == "auto":
        return native_bf16(device)
    if setting and not native_bf16(device):
        _warn_emulated(where)
    return bool(setting)


def attention_implementation(bf16: bool, device: torch.device | str | None = None) -> str:
    """The attention kernel of a BERT on ``device`` (default: the default device) computing in
    bfloat16 (``bf16``, resolved) or float32: ``eager``, the explicit softmax(Q K^T / sqrt(d)) V,
    for bfloat16 on a CPU, where it beats the fused SDPA kernel on sentences of tens of tokens
    (encoding: ``benchmarks/forward_options.py``; training steps:
    ``benchmarks/train_throughput.py``); ``sdpa`` everywhere else."""
    import torch

    from jtcse.modeling.device import default_device

    device = torch.device(device) if device is not None else default_device()
    return "eager" if bf16 and device.type == "cpu" else "sdpa"


@functools.cache
def _warn_emulated(where: str) -> None:
    logger.warning(
        "%s: true on a device without native bfloat16 (no AMX or AVX512-BF16 on this CPU): "
        "torch emulates it, many times slower than float32; `auto` would use float32 here",
        where,
    )
