"""``kedro viz build`` makes a static site of every registered pipeline that headless Chromium
(Debian's ``chromium``, driven by Playwright) renders: the flowchart holds each node, dataset
and parameter of the registered pipelines, and its screenshot is kept as ``kedro-viz.png`` in
``$JTCSE_TEST_ARTIFACTS`` (default ``test-artifacts/``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from kedro.framework.startup import bootstrap_project
from PIL import Image
from playwright.sync_api import sync_playwright

from jtcse.pipeline_registry import register_pipelines
from tests.fixtures.browser import CHROMIUM_ARGS, find_chromium, serve

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WINDOW = (1600, 1000)  # the screenshot's width and height in pixels
# Set before the app starts, so that the flowchart is not covered by the feature-hint pop-up and
# shows each element's own name; then the app opens on every pipeline, element type expanded.
OPEN_FLOWCHART_PAGE = """<!DOCTYPE html>
<script>
localStorage.setItem("KedroViz", JSON.stringify({showFeatureHints: false, isPrettyName: false}));
location.replace("./?pid=__default__&types=nodes,datasets,parameters&expandAllPipelines=true");
</script>
"""

pytestmark = pytest.mark.slow  # see the README: pytest -m "not slow" leaves it out


@dataclass(frozen=True)
class FlowchartNode:
    """One element drawn in the flowchart: its kedro-viz id, full name, type and visible label."""

    node_id: str
    full_name: str
    node_type: str
    label: str


class FlowchartParser(HTMLParser):
    """The ``<g class="pipeline-node">`` groups of a rendered kedro-viz page with their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[FlowchartNode] = []
        self._node: dict[str, str] | None = None
        self._label: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        if tag == "g" and "pipeline-node" in classes:
            self._node = attributes
        elif tag == "text" and "pipeline-node__text" in classes and self._node is not None:
            self._label = []

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._label.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "text" and self._label is not None and self._node is not None:
            self.nodes.append(
                FlowchartNode(
                    node_id=self._node["data-id"],
                    full_name=self._node["data-node-fullname"],
                    node_type=self._node["data-node-type"],
                    label="".join(self._label),
                )
            )
            self._node = self._label = None


@pytest.fixture
def viz_site(test_project: Path, tmp_path: Path) -> Path:
    """The folder that ``kedro viz build`` writes for the test project, offline and without
    telemetry."""
    env = {
        **os.environ,
        "KEDRO_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # kedro-telemetry's user id file
    }
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build"],
        cwd=test_project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    site = test_project / "build"
    # `kedro viz build` exits with 0 and only prints a message when it fails.
    assert (site / "api" / "main").is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    (site / "open-flowchart.html").write_text(OPEN_FLOWCHART_PAGE)
    return site


@pytest.fixture
def site_url(viz_site: Path) -> Iterator[str]:
    """The site served over http on a free localhost port (the app fetches ``api/``)."""
    with serve(viz_site) as url:
        yield url


@pytest.fixture
def screenshot_path() -> Path:
    """``kedro-viz.png`` in ``$JTCSE_TEST_ARTIFACTS`` or ``test-artifacts/``, old copy removed."""
    folder = Path(os.environ.get("JTCSE_TEST_ARTIFACTS") or PROJECT_ROOT / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kedro-viz.png"
    path.unlink(missing_ok=True)
    return path


# True once the flowchart draws at least `wanted` elements and each has faded in fully.
FLOWCHART_DRAWN = """wanted => {
  const nodes = [...document.querySelectorAll("g.pipeline-node")];
  return nodes.length >= wanted
    && nodes.every(node => getComputedStyle(node).opacity === "1");
}"""


def render(chromium: str, url: str, screenshot: Path, elements: int) -> str:
    """The DOM of ``url`` once its flowchart shows ``elements`` elements, faded in, with a
    screenshot of the window written to ``screenshot``. Chromium is driven by Playwright, so
    the test waits for what it checks however slow the machine is; every host but localhost
    fails to resolve, so nothing leaves the machine."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=list(CHROMIUM_ARGS),
        )
        try:
            page = browser.new_page(viewport={"width": WINDOW[0], "height": WINDOW[1]})
            page.goto(url)
            page.wait_for_function(FLOWCHART_DRAWN, arg=elements, timeout=180_000)
            page.screenshot(path=screenshot)
            return page.content()
        finally:
            browser.close()


def test_kedro_viz_build_renders_every_pipeline_element(
    test_project: Path, viz_site: Path, site_url: str, screenshot_path: Path
) -> None:
    chromium = find_chromium()
    # Without KEDRO_DISABLE_TELEMETRY the site would load Heap analytics from its CDN.
    assert "heapanalytics" not in (viz_site / "index.html").read_text()
    bootstrap_project(test_project)
    everything = register_pipelines()["__default__"]
    elements = len(everything.nodes) + len(everything.datasets())
    dom = render(chromium, f"{site_url}/open-flowchart.html", screenshot_path, elements)
    parser = FlowchartParser()
    parser.feed(dom)
    drawn = parser.nodes

    data_and_parameters = {node.full_name for node in drawn if node.node_type != "task"}
    assert data_and_parameters == set(everything.datasets())
    assert any(node.node_type == "parameters" for node in drawn)
    api_nodes = json.loads((viz_site / "api" / "main").read_text())["nodes"]
    # Every node is drawn; a namespaced one (tower_1.train) shows its short name, so it is
    # matched through its id and the full name of api/main.
    full_names = {node["id"]: node.get("full_name") for node in api_nodes}
    assert {full_names[node.node_id] for node in drawn if node.node_type == "task"} == {
        node.name for node in everything.nodes
    }
    assert {"tower_1", "tower_2", "tncse", "jtcse"} <= {
        node["id"] for node in api_nodes if node["type"] == "modularPipeline"
    }
    # Each element's visible label is the name kedro-viz gives it in its api/main.
    api_names = {node["id"]: node["name"] for node in api_nodes}
    assert {node.node_id: node.label for node in drawn} == {
        node.node_id: api_names[node.node_id] for node in drawn
    }

    with Image.open(screenshot_path) as image:
        assert image.format == "PNG"
        assert image.size == WINDOW
        pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1
    # The flowchart pane (right of the sidebar) is drawn on, not only its background colour.
    height, width, _ = pixels.shape
    pane = pixels[height // 10 : height * 3 // 4, width * 9 // 20 : width * 19 // 20].reshape(-1, 3)
    colours, counts = np.unique(pane, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    assert np.any(pane != background, axis=1).mean() > 0.01
