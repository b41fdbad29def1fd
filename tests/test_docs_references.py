"""The repository describes its method itself: no file points outside it to the shared method
notes, and every ``docs/method.md#<section>`` that code, configuration or README cites is a
heading of the method page."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import markdown
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
METHOD_PAGE = PROJECT_ROOT / "docs" / "method.md"
# Spelled in two parts, so that this file does not mention what it looks for.
SHARED_DOCS = "shared/" + "docs"
SHARED_METHOD = "METHOD" + ".md"
# Recorded reports quote the source as it was when they were written (a mutant's diff shows
# the docstring around it); rewriting them would falsify the record. They may still quote
# the old file name, never the outside path.
RECORDS = ("benchmarks/results/mutation/before/",)
CITATION = re.compile(r"docs/method\.md#([A-Za-z0-9_-]+)")


@cache
def tracked_files() -> tuple[Path, ...]:
    """Every file git tracks in this checkout (the test fails outside a git checkout)."""
    result = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"git ls-files failed: {result.stderr.decode(errors='replace')}")
    names = [name for name in result.stdout.decode().split("\0") if name]
    return tuple(PROJECT_ROOT / name for name in names if (PROJECT_ROOT / name).is_file())


def _relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def method_anchors() -> set[str]:
    """The ids of the method page's headings, as MkDocs makes them (the ``toc`` extension:
    an explicit ``{#id}``, else the heading's slug)."""
    html = markdown.markdown(
        METHOD_PAGE.read_text(encoding="utf-8"), extensions=["toc", "attr_list"]
    )
    return set(re.findall(r'<h[1-6][^>]*\bid="([^"]+)"', html))


def test_the_tracked_files_are_listed() -> None:
    names = {_relative(path) for path in tracked_files()}
    assert {"pyproject.toml", "docs/method.md", "src/jtcse/losses/modulus.py"} <= names


def test_no_tracked_file_points_to_the_shared_method_notes() -> None:
    offenders = []
    for path in tracked_files():
        content = path.read_bytes()
        name = _relative(path)
        if SHARED_DOCS.encode() in content:
            offenders.append(f"{name}: {SHARED_DOCS}")
        if SHARED_METHOD.encode() in content and not name.startswith(RECORDS):
            offenders.append(f"{name}: {SHARED_METHOD}")
    assert offenders == [], "cite docs/method.md#<section> instead"


def test_every_cited_method_section_exists() -> None:
    anchors = method_anchors()
    cited: dict[str, set[str]] = {}
    for path in tracked_files():
        if path.suffix in {".png", ".npy", ".parquet", ".ipynb"}:
            continue
        for anchor in CITATION.findall(path.read_text(encoding="utf-8", errors="replace")):
            cited.setdefault(anchor, set()).add(_relative(path))

    missing = {anchor: sorted(files) for anchor, files in cited.items() if anchor not in anchors}
    assert missing == {}, f"no such heading in docs/method.md: {missing}"
    # The code does cite the page (a broken pattern would make the check above vacuous).
    assert {"ictm", "distillation", "cross-attention", "uc-ensemble"} <= set(cited)
    assert "src/jtcse/losses/modulus.py" in cited["ictm"]


def test_the_method_page_has_a_section_for_each_loss() -> None:
    assert {"nce", "icnce", "ictm", "joint-loss", "distillation-loss"} <= method_anchors()
