"""The result files under ``benchmarks/results/``, read once, and the error every step of the
generator raises."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS_DIR = Path("benchmarks") / "results"
# The command that turns the result files into pages; every page and table names it
COMMAND = "python -m jtcse.reporting.results_pages"


class ResultsError(ValueError):
    """A result file, a generated page or the README that cannot be read or written."""


@dataclass(frozen=True)
class ResultFile:
    """One file under ``benchmarks/results/``: ``name`` its path from there (POSIX),
    ``data`` the parsed JSON, or the CSV's rows as dicts."""

    path: Path
    name: str
    data: Any

    @property
    def source(self) -> str:
        """Its path from the project root (``benchmarks/results/<name>``), as tables cite it."""
        return (RESULTS_DIR / self.name).as_posix()

    @property
    def folder(self) -> str:
        """The folder of ``name`` (``""`` for a file directly under ``benchmarks/results/``)."""
        return self.name.rpartition("/")[0]

    @property
    def stem(self) -> str:
        """The file name without its suffix."""
        return Path(self.name).stem


def read_results(project: Path) -> list[ResultFile]:
    """Every ``.json`` and ``.csv`` file under ``benchmarks/results/`` of ``project``, sorted by
    path; an unreadable file raises :class:`ResultsError` naming it."""
    root = project / RESULTS_DIR
    files = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".json", ".csv"} or not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
            data = (
                json.loads(text)
                if path.suffix == ".json"
                else list(csv.DictReader(text.splitlines()))
            )
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
            raise ResultsError(f"{RESULTS_DIR / name}: cannot read it ({error})") from error
        files.append(ResultFile(path, name, data))
    return files
