"""Tests of the Markdown report (jtcse.reporting.report)."""

from __future__ import annotations

import re

import pytest

from jtcse.reporting import FIGURES
from jtcse.reporting.report import build_report
from tests.reporting.test_plots import ATTENTION, RESULTS, _curves

TABLE = "| model | avg |\n|---|---|\n| base | 73.65 |\n| tncse_ensemble | 76.73 |\n"
LINKS = {name: f"figures/{name}.png" for name in FIGURES}


def _report() -> str:
    return build_report(TABLE, RESULTS, _curves(), ATTENTION, LINKS)


def test_report_holds_the_table_and_embeds_every_figure_once():
    report = _report()
    assert report.startswith("# JTCSE results\n")
    assert TABLE.strip() in report
    embedded = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert sorted(embedded) == sorted(LINKS.values())
    assert report.index(TABLE.strip()) < min(report.index(link) for link in LINKS.values())


def test_report_texts_carry_the_numbers_of_their_figures():
    report = _report()
    assert "Highest: **tncse_ensemble** (76.73)" in report
    # best dev score per run: (score, step, last step); a run never evaluated gets dashes
    assert "| tower_1 | 55.00 | 4 | 4 |" in report
    assert "| jtcse | 62.00 | 15 | 15 |" in report
    assert "| student | - | - | 2 |" in report
    assert "over 12 STS-B dev sentences" in report
    assert "cross-attention at layers 2, 4" in report
    # mean over the layers of each pair and mode
    assert "| tncse | coupled | 0.3500 | 0.3250 |" in report
    assert "| jtcse | alone | 0.3000 | 0.2000 |" in report


def test_report_needs_a_link_for_every_figure():
    links = {name: link for name, link in LINKS.items() if name != "training_curves"}
    with pytest.raises(ValueError, match="training_curves"):
        build_report(TABLE, RESULTS, _curves(), ATTENTION, links)


def test_the_zero_shot_section_follows_the_sts_table():
    section = "## Zero-shot evaluation (MTEB, main score × 100)\n\n![heat](zero_shot.png)\n"
    report = build_report(TABLE, RESULTS, _curves(), ATTENTION, LINKS, section)
    assert report.index(TABLE.strip()) < report.index(section.strip())
    assert report.index(section.strip()) < min(report.index(link) for link in LINKS.values())
    assert "Zero-shot" not in _report()
