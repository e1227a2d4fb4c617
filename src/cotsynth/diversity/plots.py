"""PNG plots for the report: people would rather look at a distribution than read it.

Drawn with Pillow (a few milliseconds a chart) rather than matplotlib, whose import and layout alone
cost a small run's report over a second of CPU (issue 18): the report's charts are plain step
histograms, bars and lines on linear axes, which need nothing more than a canvas and a font.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
HEIGHT = 400
MARGIN = {"left": 70, "right": 20, "top": 34, "bottom": 50}


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top` (steps of 1, 2 or 5 times a power of ten)."""
    top = top if top > 0 else 1.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [k * step for k in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _label(value: float) -> str:
    return f"{value:.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"


class Chart:
    """A canvas with linear x and y axes: data coordinates map into the plot area."""

    def __init__(self, width: int, x_range: tuple[float, float], y_top: float, bottom: int = MARGIN["bottom"]):
        from PIL import Image, ImageDraw

        self.image = Image.new("RGB", (width, HEIGHT), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.box = (MARGIN["left"], MARGIN["top"], width - MARGIN["right"], HEIGHT - bottom)
        self.x0, self.x1 = x_range if x_range[1] > x_range[0] else (x_range[0], x_range[0] + 1)
        self.y_ticks = nice_ticks(y_top)
        self.y1 = self.y_ticks[-1]
        self.small, self.normal, self.large = _font(10), _font(12), _font(14)

    def px(self, x: float) -> float:
        left, _, right, _ = self.box
        return left + (x - self.x0) / (self.x1 - self.x0) * (right - left)

    def py(self, y: float) -> float:
        _, top, _, bottom = self.box
        return bottom - y / self.y1 * (bottom - top)

    def axes(self, title: str, xlabel: str, ylabel: str, x_ticks: Sequence[float] = ()) -> None:
        left, top, right, bottom = self.box
        for y in self.y_ticks:
            self.draw.line([(left - 4, self.py(y)), (left, self.py(y))], fill="black")
            self.draw.text((left - 6, self.py(y)), _label(y), fill="black", font=self.small, anchor="rm")
        for x in x_ticks:
            self.draw.line([(self.px(x), bottom), (self.px(x), bottom + 4)], fill="black")
            self.draw.text((self.px(x), bottom + 6), _label(x), fill="black", font=self.small, anchor="mt")
        self.draw.rectangle(self.box, outline="black")
        self.draw.text(((left + right) / 2, top / 2), title, fill="black", font=self.large, anchor="mm")
        if xlabel:
            self.draw.text(((left + right) / 2, HEIGHT - 6), xlabel, fill="black", font=self.normal, anchor="md")
        self.vertical_text(ylabel, 4, (top + bottom) / 2, self.normal)

    def vertical_text(self, text: str, x: float, y_center: float, font) -> None:
        """Text read bottom to top, its left edge at x, centred on y_center."""
        self._rotated(text, font, lambda w, h: (int(x), int(y_center - h / 2)))

    def category_labels(self, names: Sequence[str], positions: Sequence[float]) -> None:
        """Category names under the x axis, read bottom to top, each ending at its tick."""
        bottom = self.box[3]
        for name, x in zip(names, positions):
            self._rotated(name, self.small, lambda w, h, x=x: (int(self.px(x) - w / 2), bottom + 4))

    def _rotated(self, text: str, font, place) -> None:
        from PIL import Image, ImageDraw

        if not text:
            return
        left, top, right, bottom = font.getbbox(text)
        mask = Image.new("L", (right - left + 2, bottom - top + 2), 0)
        ImageDraw.Draw(mask).text((1 - left, 1 - top), text, fill=255, font=font)
        mask = mask.rotate(90, expand=True)
        self.image.paste("black", place(*mask.size), mask)

    def legend(self, labels: Sequence[str]) -> None:
        if not labels:
            return
        _, top, right, _ = self.box
        width = 28 + max(int(self.draw.textlength(label, font=self.small)) for label in labels)
        x, y = right - width - 6, top + 6
        self.draw.rectangle((x, y, x + width, y + 8 + 14 * len(labels)), fill="white", outline="#cccccc")
        for k, label in enumerate(labels):
            row = y + 4 + 14 * k
            self.draw.rectangle((x + 4, row + 3, x + 18, row + 10), fill=COLORS[k % len(COLORS)])
            self.draw.text((x + 22, row), label, fill="black", font=self.small)

    def save(self, path: Path) -> Path:
        self.image.save(path, format="PNG")
        return path


def histograms(path: Path, title: str, series: dict[str, dict], xlabel: str) -> Path:
    """Overlaid step histograms of the `histogram()` dicts in `series` (one per split or granularity)."""
    drawn = []
    for label, h in series.items():
        if h.get("count"):
            counts = np.asarray(h["counts"], np.float64)
            edges = h["bin_start"] + h["bin_width"] * np.arange(len(counts) + 1)
            drawn.append((f"{label} (n={h['count']})", counts / counts.sum(), edges))
    low = min((e[0] for _, _, e in drawn), default=0.0)
    high = max((e[-1] for _, _, e in drawn), default=1.0)
    chart = Chart(700, (low, high), max((s.max() for _, s, _ in drawn), default=1.0))
    chart.axes(title, xlabel, "share", nice_range(low, high))
    for k, (_, shares, edges) in enumerate(drawn):
        points = [(chart.px(edges[0]), chart.py(0))]
        for share, a, b in zip(shares, edges[:-1], edges[1:]):
            points += [(chart.px(a), chart.py(share)), (chart.px(b), chart.py(share))]
        points.append((chart.px(edges[-1]), chart.py(0)))
        chart.draw.line(points, fill=COLORS[k % len(COLORS)], width=2)
    chart.legend([label for label, _, _ in drawn])
    return chart.save(path)


def nice_range(low: float, high: float, count: int = 6) -> list[float]:
    """Round x tick values within [low, high]."""
    span = nice_ticks(high - low, count)
    step = span[1] - span[0] if len(span) > 1 else 1.0
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def grouped_bars(path: Path, title: str, names: list[str], groups: dict[str, np.ndarray], ylabel: str) -> Path:
    """Bars of one value per name and group, the groups side by side, names under the x axis."""
    width = max(700, 20 * len(names) * max(1, len(groups)) // 2 + 120)
    longest = max((int(_font(10).getlength(n)) for n in names), default=0)
    chart = Chart(width, (-0.5, len(names) - 0.5), max((float(v.max()) for v in groups.values() if len(v)), default=1.0),
                  bottom=min(260, longest + 14))
    chart.axes(title, "", ylabel)
    bar = 0.8 / max(1, len(groups))
    for k, values in enumerate(groups.values()):
        for i, value in enumerate(values):
            a = i - 0.4 + k * bar
            chart.draw.rectangle((chart.px(a), chart.py(float(value)), chart.px(a + bar) - 1, chart.py(0)),
                                 fill=COLORS[k % len(COLORS)])
    chart.category_labels(names, range(len(names)))
    chart.legend(list(groups) if len(groups) > 1 else [])
    return chart.save(path)


def compound_coverage(path: Path, names: list[str], per_split: dict[str, np.ndarray]) -> Path:
    """Grouped bars: share of each compound's occurrences per split (held-out ones show as test only)."""
    shares = {split: counts / counts.sum() if counts.sum() else counts.astype(np.float64) for split, counts in per_split.items()}
    return grouped_bars(path, "compound frequency per split", names, shares, "share of the split's compounds")


def bars(path: Path, title: str, rows: list[list], ylabel: str) -> Path:
    """A bar chart of [[name, count], ...] (template counts)."""
    return grouped_bars(path, title, [str(r[0]) for r in rows], {"": np.asarray([r[1] for r in rows], np.float64)}, ylabel)


def search_trace(path: Path, mcd: dict) -> Path:
    """The mcd search: compound divergence of the current state and of the best feasible one per step."""
    steps = [t[0] for t in mcd["trace"]]
    current = [t[1] for t in mcd["trace"]]
    best = [t[2] for t in mcd["trace"]]
    target = mcd.get("target_compound_divergence")
    top = max([*current, *(b for b in best if b is not None), target or 0.0, 1e-6])
    chart = Chart(700, (min(steps, default=0), max(steps, default=1)), top)
    chart.axes("mcd search: compound divergence reached", "local-search step", "D_C (test vs train)",
               nice_range(chart.x0, chart.x1))
    chart.draw.line([(chart.px(s), chart.py(v)) for s, v in zip(steps, current)], fill=COLORS[0], width=1)
    runs: list[list[tuple[float, float]]] = [[]]
    for s, v in zip(steps, best):  # a step with no feasible state breaks the line
        if v is None:
            runs.append([])
        else:
            runs[-1].append((chart.px(s), chart.py(v)))
    for run in runs:
        if len(run) > 1:
            chart.draw.line(run, fill=COLORS[1], width=2)
    labels = ["current state", "best with D_A under the bound"]
    if target is not None:
        y = chart.py(target)
        for x in range(int(chart.box[0]), int(chart.box[2]), 8):
            chart.draw.line([(x, y), (min(x + 4, chart.box[2]), y)], fill=COLORS[2])
        labels.append("target")
    chart.legend(labels)
    return chart.save(path)
