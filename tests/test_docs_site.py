"""The documentation site builds with ``mkdocs build --strict`` (a broken link, a missing
anchor, an included file that is gone or a docstring mkdocstrings cannot render fails it), and
headless Chromium renders its home, method and results pages: each page has its title, every
image has loaded and the method page holds its formulas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.fixtures.browser import CHROMIUM_ARGS, find_chromium, serve

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # a site build and a browser: pytest -m "not slow" leaves them out

# The pages the browser test opens: path -> the page's title (its first heading).
PAGES = {"": "jtcse", "method/": "The method", "results/": "Results"}

# Every <img> of the page with whether it has loaded (complete and decoded to a real size).
IMAGES = """() => [...document.images].map(image => ({
  src: image.currentSrc || image.src,
  loaded: image.complete && image.naturalWidth > 0,
}))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as ``mkdocs build --strict`` writes it, in a temporary folder."""
    folder = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return folder


def test_the_site_builds_strictly_with_every_page(site: Path) -> None:
    for page in ("getting-started", "method", "pipelines", "evaluation", "results"):
        assert (site / page / "index.html").is_file(), page
    for page in ("benchmarks", "mutation", "operations", "changelog", "api/losses"):
        assert (site / page / "index.html").is_file(), page
    # The API pages are rendered from the docstrings ...
    losses = (site / "api" / "losses" / "index.html").read_text(encoding="utf-8")
    assert 'id="jtcse.losses.modulus.modulus_loss"' in losses
    assert "LTN(a -&gt; b)" in losses
    # ... the included files are the committed ones, unchanged ...
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "Keep a Changelog" in changelog
    # ... and the Results page shows the tables generated from benchmarks/results/ (the
    # ablation study's report has the same numbers), with the figures beside them.
    results = (site / "results" / "index.html").read_text(encoding="utf-8")
    report = (PROJECT_ROOT / "benchmarks/results/ablation/ablation.md").read_text()
    first_row = next(line for line in report.splitlines() if line.startswith("| tower_1 |"))
    assert all(cell.strip() in results for cell in first_row.split("|")[1:-1])
    heat_map = "benchmarks/results/zero_shot_chain/zero_shot_heat_map.png"
    assert (site / heat_map).read_bytes() == (PROJECT_ROOT / heat_map).read_bytes()
    assert not (site / "generated").exists()  # the generated tables are not pages


def test_chromium_renders_the_home_method_and_results_pages(site: Path) -> None:
    chromium = find_chromium()
    seen: dict[str, dict] = {}
    with serve(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path in PAGES:
                page.goto(f"{url}/{path}", wait_until="load")
                seen[path] = {
                    "title": page.title(),
                    "heading": page.locator("article h1").first.inner_text(),
                    "images": page.evaluate(IMAGES),
                    # MathJax comes from a CDN, which this test cannot reach (every host but
                    # localhost fails to resolve), so the formulas stay as their TeX source in
                    # pymdownx.arithmatex's elements; online, MathJax typesets those elements.
                    "formulas": page.locator(".arithmatex").all_inner_texts(),
                }
        finally:
            browser.close()

    for path, title in PAGES.items():
        assert seen[path]["heading"].removesuffix("¶").strip() == title, path  # ¶: permalink
        assert seen[path]["title"].startswith(title) or path == "", seen[path]["title"]
        assert seen[path]["title"].endswith("jtcse"), seen[path]["title"]
        not_loaded = [image["src"] for image in seen[path]["images"] if not image["loaded"]]
        assert not_loaded == [], path
    # The results page shows the zero-shot report's heat map (so the check above is not empty).
    assert any(
        image["src"].endswith("/zero_shot_heat_map.png") for image in seen["results/"]["images"]
    )
    formulas = seen["method/"]["formulas"]
    assert len(formulas) >= 40
    text = "\n".join(formulas)
    for formula in (r"L_{\text{ICTM}}", r"\ell_{\text{TN}}", r"C_1 = A_1 V_2", "L_D = k"):
        assert formula in text, formula
