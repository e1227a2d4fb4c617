"""The report's charts: real PNG files that show their data (drawn with Pillow, no matplotlib)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from cotsynth.core.metrics import histogram
from cotsynth.diversity import plots


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[k : k + 2], 16) for k in (1, 3, 5))


def test_nice_ticks_cover_the_top_in_round_steps():
    assert plots.nice_ticks(0.28) == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert plots.nice_ticks(612) == [0, 200, 400, 600, 800]
    assert plots.nice_ticks(0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_histogram_draws_each_series_in_its_colour(tmp_path):
    series = {"train": histogram(np.array([2, 2, 3, 5])), "test": histogram(np.array([4, 4])), "empty": {"count": 0}}
    path = plots.histograms(tmp_path / "h.png", "complexity", series, "nodes")
    image = Image.open(path).convert("RGB")
    assert image.size == (700, plots.HEIGHT)
    colours = {c for _, c in image.getcolors(1 << 16)}
    assert _rgb(plots.COLORS[0]) in colours and _rgb(plots.COLORS[1]) in colours
    assert _rgb(plots.COLORS[2]) not in colours  # the empty series is left out


def test_bars_are_as_tall_as_their_counts(tmp_path):
    path = plots.bars(tmp_path / "b.png", "templates", [["a", 100], ["b", 50]], "problems")
    pixels = np.asarray(Image.open(path).convert("RGB"))
    blue = (pixels == _rgb(plots.COLORS[0])).all(axis=2)
    columns = np.flatnonzero(blue.any(axis=0))
    first, second = columns[columns < pixels.shape[1] // 2], columns[columns >= pixels.shape[1] // 2]
    tall = blue[:, first].any(axis=1).sum()
    short = blue[:, second].any(axis=1).sum()
    assert abs(tall / short - 2) < 0.05


def test_search_trace_and_compound_coverage_draw(tmp_path):
    mcd = {"trace": [[0, 0.1, None], [5, 0.3, 0.2], [9, 0.5, 0.4]], "target_compound_divergence": 0.45}
    coverage = {"train": np.array([5, 3, 0]), "test": np.array([0, 1, 4])}
    for path in (plots.search_trace(tmp_path / "s.png", mcd), plots.compound_coverage(tmp_path / "c.png", ["x>y", "y>z", "z>x"], coverage)):
        colours = {c for _, c in Image.open(path).convert("RGB").getcolors(1 << 16)}
        assert _rgb(plots.COLORS[0]) in colours and _rgb(plots.COLORS[1]) in colours


def test_drawing_a_chart_does_not_import_matplotlib(tmp_path):
    code = (f"import sys; from cotsynth.diversity import plots; plots.bars(__import__('pathlib').Path({str(tmp_path / 'x.png')!r}), "
            "'t', [['a', 1]], 'n'); print('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
