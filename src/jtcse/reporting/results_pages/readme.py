"""The README's headline region: the text between ``<!-- headline:start -->`` and
``<!-- headline:end -->``, which the generator rewrites with the headline table."""

from __future__ import annotations

from pathlib import Path

from jtcse.reporting.results_pages.reading import ResultsError

README = Path("README.md")
HEADLINE_START = "<!-- headline:start -->"
HEADLINE_END = "<!-- headline:end -->"


def has_headline_markers(text: str) -> bool:
    """Whether ``text`` holds either headline marker (a README that takes the headline)."""
    return HEADLINE_START in text or HEADLINE_END in text


def readme_region(text: str, source: str) -> tuple[int, int]:
    """The start and end offsets of the text between the headline markers of ``text`` (a
    README read from ``source``); missing or repeated markers raise :class:`ResultsError`."""
    starts, ends = text.count(HEADLINE_START), text.count(HEADLINE_END)
    if starts != 1 or ends != 1:
        raise ResultsError(
            f"{source}: needs exactly one {HEADLINE_START} and one {HEADLINE_END} "
            f"(found {starts} and {ends})"
        )
    start = text.index(HEADLINE_START) + len(HEADLINE_START)
    end = text.index(HEADLINE_END)
    if end < start:
        raise ResultsError(f"{source}: {HEADLINE_END} comes before {HEADLINE_START}")
    return start, end


def with_headline(text: str, headline: str, source: str) -> str:
    """``text`` with the region between its headline markers replaced by ``headline``."""
    start, end = readme_region(text, source)
    return text[:start] + "\n" + headline.strip() + "\n" + text[end:]


def readme_is_current(text: str, headline: str, source: str) -> bool:
    """Whether the region between the headline markers of ``text`` is ``headline`` (up to
    the blank lines around it)."""
    start, end = readme_region(text, source)
    return text[start:end].strip() == headline.strip()
