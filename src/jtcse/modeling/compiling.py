"""``torch.compile`` for long jobs: when it pays, where its cache lives, one setting to stop it.

Compiling (inductor, dynamic shapes) fuses the element-wise passes of the forward (softmax,
GELU, layer norm, the copies between them) into generated kernels; the first call pays the
compilation. Inductor keeps what it generated in a cache folder, so a later process that
compiles the same graph (same model shape, torch version and options) pays only the tracing:
:func:`compile_cache_folder` puts that folder in the user's cache, where it survives processes,
clones and projects on one machine, unless ``$TORCHINDUCTOR_CACHE_DIR`` names another.

Compiling pays when the seconds it saves exceed what it costs: with C the compile seconds and
r_e, r_c the eager and compiled rates (items/s), a job of N items gains
N (1/r_e - 1/r_c) - C, positive from the break-even N* = C / (1/r_e - 1/r_c).
``benchmarks/compile_break_even.py`` measures C (cold and warm cache) and both rates for
encoding and for the step of each training stage; :data:`ENCODE_BREAK_EVEN_SENTENCES` and
:data:`TRAIN_BREAK_EVEN_STEPS` are the cold-cache break-evens of its committed run (the largest
of the training stages'), rounded up, so that on that CPU the rule loses no time even on a
machine's first compile; None where compiling did not pay at all (a test holds the constants
to the committed file).

The setting, one for every job: ``auto`` (the default) compiles a job of at least the
break-even; ``on`` compiles every job; ``off`` never compiles. It is ``runtime.compile`` of a
``kedro run`` (``conf/base/parameters_runtime.yml``; the run's hook puts it in
``$JTCSE_COMPILE``), ``$JTCSE_COMPILE`` for the CLI and the Python API, where the ``compile``
argument of the loaders and of training, when given, wins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import torch

COMPILE_VARIABLE = "JTCSE_COMPILE"
COMPILE_SETTINGS = ("auto", "on", "off")
CACHE_VARIABLE = "TORCHINDUCTOR_CACHE_DIR"
# Cold-cache break-evens of benchmarks/compile_break_even.py's committed run (module
# docstring): encoding paid from about 176,000 sentences; no training step ran faster compiled.
ENCODE_BREAK_EVEN_SENTENCES: int | None = 200_000
TRAIN_BREAK_EVEN_STEPS: int | None = None

Module = TypeVar("Module", bound="torch.nn.Module")


def compile_setting(value: str | None = None) -> str:
    """``value`` if given, else ``$JTCSE_COMPILE``, else ``auto``; ValueError naming where a
    value outside :data:`COMPILE_SETTINGS` came from."""
    source = "compile" if value is not None else f"${COMPILE_VARIABLE}"
    setting = value if value is not None else os.environ.get(COMPILE_VARIABLE, "auto")
    if setting not in COMPILE_SETTINGS:
        raise ValueError(f"{source} must be one of {', '.join(COMPILE_SETTINGS)}; got {setting!r}")
    return setting


def should_compile(setting: str | None, work: int, break_even: int | None) -> bool:
    """Whether a job of ``work`` items (sentences, training steps) compiles under ``setting``
    (:func:`compile_setting`): always with ``on``, never with ``off``, from ``break_even``
    items with ``auto`` (None: compiling was not measured to pay, so ``auto`` never does)."""
    resolved = compile_setting(setting)
    if resolved == "auto":
        return break_even is not None and work >= break_even
    return resolved == "on"


def compile_cache_folder() -> Path:
    """Inductor's cache folder: ``$TORCHINDUCTOR_CACHE_DIR``, else ``jtcse/torch_compile``
    under ``$XDG_CACHE_HOME`` (default ``~/.cache``)."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "jtcse" / "torch_compile"


def compile_for_inference(module: Module) -> Module:
    """``module`` compiled with dynamic shapes and inductor's freezing (weights folded in as
    constants: for inference under ``torch.no_grad``/``inference_mode`` only), its generated
    code cached in :func:`compile_cache_folder`."""
    import torch

    _use_cache_folder()
    return torch.compile(module, dynamic=True, options={"freezing": True})


def compile_for_training(module: Module) -> Module:
    """``module`` compiled with dynamic shapes, forward and backward, its generated code cached
    in :func:`compile_cache_folder`. Random operations (dropout) draw from eager's generator
    (inductor's ``fallback_random``), so a seed gives the eager run's masks. The parameters
    stay the module's: the optimiser, checkpoints and ``save_pretrained`` see the same
    tensors."""
    import torch

    _use_cache_folder()
    return torch.compile(module, dynamic=True, options={"fallback_random": True})


def _use_cache_folder() -> None:
    """Point inductor at :func:`compile_cache_folder` (it reads the variable when it first
    looks for a cached graph, which is after this call)."""
    os.environ[CACHE_VARIABLE] = str(compile_cache_folder())
