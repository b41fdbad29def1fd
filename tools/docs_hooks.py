"""MkDocs hooks of the documentation site (``hooks:`` in ``mkdocs.yml``).

The Results and Benchmarks pages include committed reports from ``benchmarks/results/`` with
``pymdownx.snippets`` (``--8<-- "benchmarks/results/..."``). A report links its figures by a
path relative to itself (``zero_shot.md`` shows ``zero_shot_heat_map.png``); once included,
that link is read relative to the including page. So each figure an included report links to
is published at the path its link resolves to from that page: the report reads the same on the
site as in the repository, and no figure is copied into ``docs/``.

The generated pages under ``docs/generated/`` (``python -m jtcse.reporting.results_pages``,
left out of the site by ``exclude_docs`` and included by the pages at the top of ``docs/``)
link a figure by its path from the project root (``benchmarks/results/ablation/ablation.png``),
which is the path such a page reads it at; the figure is published there.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

# A snippet line of pymdownx.snippets' block form: --8<-- "path/from/the/project/root.md",
# optionally with a line range (":2:" from the second line on, ":1:16" the first sixteen).
SNIPPET = re.compile(
    r'^[ \t]*--8<--[ \t]+"([^"\n]+?)(?::-?[0-9]*(?::-?[0-9]*)?)?"[ \t]*$', re.MULTILINE
)
# The target of a Markdown image: ![alt](target) or ![alt](target "title")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")


# Generated pages, from the project root: their figure links are read from the project root
GENERATED = Path("docs") / "generated"


def included_figures(page_source: str, root: Path) -> list[tuple[str, Path]]:
    """(link as written, figure file) of every relative image link in the reports that a
    page includes (read from the report's folder, or from ``root`` for a generated page); a
    link to a missing file is an error naming the report and the link."""
    figures = []
    for included in SNIPPET.findall(page_source):
        report = root / included
        if report.suffix != ".md" or not report.is_file():
            continue  # pymdownx.snippets reports a missing file itself (check_paths)
        base = root if report.parent == root / GENERATED else report.parent
        for link in IMAGE.findall(report.read_text(encoding="utf-8")):
            if "://" in link or link.startswith(("/", "data:")):
                continue
            figure = base / link
            if not figure.is_file():
                raise PluginError(f"{included}: the figure {link!r} it links to is missing")
            figures.append((link, figure))
    return figures


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Publish each figure of an included report where the including page's link points."""
    root = Path(config.config_file_path).parent
    for page in files.documentation_pages():
        source = Path(page.abs_src_path).read_text(encoding="utf-8")
        for link, figure in included_figures(source, root):
            site_path = posixpath.normpath(posixpath.join(posixpath.dirname(page.src_uri), link))
            existing = files.get_file_from_path(site_path)
            if existing is None:
                files.append(File.generated(config, site_path, abs_src_path=str(figure)))
            elif Path(existing.abs_src_path or "").resolve() != figure.resolve():
                raise PluginError(
                    f"{page.src_uri}: {site_path} would be both {existing.abs_src_path} "
                    f"and {figure}"
                )
    return files
