"""Markdown of the generated pages: a table's section with its provenance, tables, figures, and
the formatters of single values (each returns ``None`` for a value that is not a number, which
a table prints as :data:`MISSING`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jtcse.reporting.results_pages.reading import ResultFile

MISSING = "–"


@dataclass
class Section:
    """One table (or a few) under its heading, with where the numbers come from."""

    title: str
    sources: list[str]
    machine: str
    body: str
    command: str | None = None
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """``### title``, the sources, machine and command in one line, the body, the notes."""
        provenance = ", ".join(f"`{source}`" for source in self.sources)
        lines = [f"### {self.title}", "", f"Source: {provenance}. Machine: {self.machine}."]
        if self.command:
            lines[-1] += f" Written by `{self.command}`."
        lines += ["", self.body.rstrip()]
        for note in self.notes:
            lines += ["", note]
        return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table; ``None`` and NaN cells print as a dash."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_text(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _text(cell: Any) -> str:
    """A table cell: :data:`MISSING` for ``None`` and NaN, pipes escaped, on one line."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return MISSING
    return str(cell).replace("|", "\\|").replace("\n", " ")


def figure(result: ResultFile, project: Path, pattern: str, alt: str) -> str | None:
    """A Markdown image of the first file beside ``result`` matching ``pattern``, linked by
    its path from the project root (how the pages at the top of docs/ read it; the site's
    hook ``tools/docs_hooks.py`` publishes it there)."""
    matches = sorted(result.path.parent.glob(pattern))
    if not matches:
        return None
    return f"![{alt}]({matches[0].relative_to(project).as_posix()})"


def number(value: Any) -> float | None:
    """``value`` as a float; ``None`` for booleans, NaN and what is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(parsed) else parsed


def fixed(value: Any, digits: int = 2) -> str | None:
    """``digits`` decimals with thousands separators: ``1,234.57``."""
    parsed = number(value)
    return None if parsed is None else f"{parsed:,.{digits}f}"


def signed(value: Any) -> str | None:
    """Two decimals with the sign: ``+0.25``."""
    parsed = number(value)
    return None if parsed is None else f"{parsed:+.2f}"


def percent(value: Any) -> str | None:
    """A share 0-1 as a percentage with one decimal: ``0.125`` -> ``12.5%``."""
    parsed = number(value)
    return None if parsed is None else f"{100 * parsed:.1f}%"


def p_value(value: Any) -> str | None:
    """Three significant digits: ``0.0312``."""
    parsed = number(value)
    return None if parsed is None else f"{parsed:.3g}"


def mean_std(mean: Any, std: Any) -> str | None:
    """``mean ± std`` with two decimals each; the mean alone where ``std`` is not a number."""
    if number(mean) is None:
        return None
    return fixed(mean) if number(std) is None else f"{fixed(mean)} ± {fixed(std)}"


def interval(low: Any, high: Any) -> str | None:
    """``[low, high]``, both signed (:func:`signed`)."""
    if number(low) is None or number(high) is None:
        return None
    return f"[{signed(low)}, {signed(high)}]"


def median(values: Any) -> float | None:
    """The median of the numbers among ``values`` (the mean of the middle two for an even
    count)."""
    numbers = sorted(n for n in map(number, values or []) if n is not None)
    if not numbers:
        return None
    middle = len(numbers) // 2
    return numbers[middle] if len(numbers) % 2 else (numbers[middle - 1] + numbers[middle]) / 2


def yes_no(value: Any) -> str | None:
    """``yes`` or ``no`` by truth; ``None`` stays ``None``."""
    return None if value is None else ("yes" if value else "no")
