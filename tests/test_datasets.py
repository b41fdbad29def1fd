"""Tests of FigureDataset: a matplotlib figure saved as a PNG file, atomically."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from jtcse.datasets import FigureDataset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _figure() -> Figure:
    figure = Figure(figsize=(2, 1))
    figure.subplots().plot([0, 1], [1, 0])
    return figure


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which follows the 8-byte signature."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_save_writes_a_png_that_load_returns(tmp_path):
    dataset = FigureDataset(str(tmp_path / "figures" / "plot.png"), dpi=50)
    assert not dataset.exists()
    dataset.save(_figure())
    assert dataset.exists()
    data = dataset.load()
    assert data == (tmp_path / "figures" / "plot.png").read_bytes()
    assert sorted(path.name for path in (tmp_path / "figures").iterdir()) == ["plot.png"]
    sharper = FigureDataset(str(tmp_path / "sharper.png"), dpi=100)
    sharper.save(_figure())
    width, height = _png_size(data)
    width_100, height_100 = _png_size(sharper.load())
    assert width > height > 0  # a 2 x 1 inch figure
    # rendered at the dataset's dpi: twice the dots per inch, twice the pixels (tight box)
    assert width_100 == pytest.approx(2 * width, abs=4)
    assert height_100 == pytest.approx(2 * height, abs=4)


class _BrokenFigure:
    """Writes part of a PNG, then fails, like a figure that cannot be rendered."""

    def savefig(self, handle, **options):
        handle.write(PNG_SIGNATURE)
        raise RuntimeError("rendering failed")


def test_a_failed_save_leaves_the_previous_png_and_no_temporary_file(tmp_path):
    path = tmp_path / "plot.png"
    dataset = FigureDataset(str(path))
    dataset.save(_figure())
    before = path.read_bytes()
    with pytest.raises(Exception, match="rendering failed"):
        dataset.save(_BrokenFigure())
    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["plot.png"]


def test_dpi_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="dpi"):
        FigureDataset(str(tmp_path / "plot.png"), dpi=0)
