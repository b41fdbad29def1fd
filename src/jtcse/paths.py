"""Where the data lives: one data root.

The root holds ``senteval/`` (SentEval's STS/SICK and transfer layout), ``unsup_corpus/`` (the
training corpus), ``mteb_style/`` and ``sts_original/`` (the local copies of MTEB tasks). It is
``data_root`` in :data:`DATA_ROOT_FILE` (``../shared/data``, relative to the project root),
the one place the catalog, DVC (``${data_root}`` in ``dvc.yaml``), the CLI and the benchmarks
read it from; ``$JTCSE_DATA_ROOT`` overrides it for one process (DVC does not see an
environment variable: to move the root for ``dvc repro``, change the file, e.g.
``dvc exp run -S conf/base/globals.yml:data_root=/data/jtcse``).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

DATA_ROOT_VARIABLE = "JTCSE_DATA_ROOT"
DATA_ROOT_FILE = "conf/base/globals.yml"
DATA_ROOT_KEY = "data_root"


def data_root(base: Path | None = None) -> Path:
    """The data root: ``$JTCSE_DATA_ROOT`` if set, else ``data_root`` of
    :data:`DATA_ROOT_FILE` under ``base`` (the project root; default: the working directory).
    A relative root is taken relative to ``base`` when given (for scripts run from anywhere),
    else to the working directory. ValueError when neither is there."""
    project = Path.cwd() if base is None else base
    root = Path(os.environ.get(DATA_ROOT_VARIABLE) or _configured_root(project))
    return root if base is None or root.is_absolute() else base / root


def senteval_root() -> Path:
    """The SentEval ``downstream`` folder under the data root."""
    return data_root() / "senteval"


def _configured_root(project: Path) -> str:
    path = project / DATA_ROOT_FILE
    if not path.is_file():
        raise ValueError(
            f"no data root: set ${DATA_ROOT_VARIABLE}, or run from the project root, whose "
            f"{DATA_ROOT_FILE} sets {DATA_ROOT_KEY}"
        )
    value = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(DATA_ROOT_KEY)
    if not value:
        raise ValueError(f"{path}: {DATA_ROOT_KEY} is not set")
    return str(value)
