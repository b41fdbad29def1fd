"""Where the data lives: one data root, set by ``JTCSE_DATA_ROOT``.

The root holds ``senteval/`` (SentEval's STS/SICK layout) and ``unsup_corpus/`` (the training
corpus). Its default, ``../shared/data``, is relative to the working directory (the project
root when you run ``kedro``, ``dvc`` or ``jtcse`` from there).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ROOT_VARIABLE = "JTCSE_DATA_ROOT"
DEFAULT_DATA_ROOT = "../shared/data"


def data_root(base: Path | None = None) -> Path:
    """The data root: ``$JTCSE_DATA_ROOT`` if set, else ``../shared/data``; a relative root is
    taken relative to ``base`` when given (the project root, for scripts run from anywhere),
    else to the working directory. The catalog (``${data_root:}``), the CLI and the benchmarks
    all resolve it here."""
    root = Path(os.environ.get(DATA_ROOT_VARIABLE, DEFAULT_DATA_ROOT))
    return root if base is None or root.is_absolute() else base / root


def senteval_root() -> Path:
    """The SentEval ``downstream`` folder under the data root."""
    return data_root() / "senteval"
