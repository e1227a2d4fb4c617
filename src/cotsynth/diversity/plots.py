"""PNG plots for the report: people would rather look at a distribution than read it.

matplotlib is imported here only, lazily, with the Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def histograms(path: Path, title: str, series: dict[str, dict], xlabel: str) -> Path:
    """Overlaid step histograms of the `histogram()` dicts in `series` (one per split or granularity)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, h in series.items():
        if not h.get("count"):
            continue
        counts = np.asarray(h["counts"], np.float64)
        edges = h["bin_start"] + h["bin_width"] * np.arange(len(counts) + 1)
        ax.stairs(counts / counts.sum(), edges, label=f"{label} (n={h['count']})")
    ax.set(title=title, xlabel=xlabel, ylabel="share")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def compound_coverage(path: Path, names: list[str], per_split: dict[str, np.ndarray]) -> Path:
    """Grouped bars: share of each compound's occurrences per split (held-out ones show as test only)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(7, 0.35 * len(names)), 4.5))
    width = 0.8 / max(1, len(per_split))
    x = np.arange(len(names))
    for k, (split, counts) in enumerate(per_split.items()):
        total = counts.sum()
        ax.bar(x + k * width, counts / total if total else counts, width, label=split)
    ax.set_xticks(x + 0.4 - width / 2, names, rotation=70, ha="right", fontsize=7)
    ax.set(title="compound frequency per split", ylabel="share of the split's compounds")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def search_trace(path: Path, mcd: dict) -> Path:
    """The mcd search: compound divergence of the current state and of the best feasible one per step."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = [t[0] for t in mcd["trace"]]
    ax.plot(steps, [t[1] for t in mcd["trace"]], lw=0.8, alpha=0.6, label="current state")
    ax.plot(steps, [np.nan if t[2] is None else t[2] for t in mcd["trace"]], lw=1.6, label="best with D_A under the bound")
    if mcd.get("target_compound_divergence") is not None:
        ax.axhline(mcd["target_compound_divergence"], ls="--", color="grey", label="target")
    ax.set(title="mcd search: compound divergence reached", xlabel="local-search step", ylabel="D_C (test vs train)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def bars(path: Path, title: str, rows: list[list], ylabel: str) -> Path:
    """A bar chart of [[name, count], ...] (template counts)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(7, 0.3 * len(rows)), 4))
    ax.bar([r[0] for r in rows], [r[1] for r in rows])
    ax.tick_params(axis="x", rotation=70, labelsize=7)
    ax.set(title=title, ylabel=ylabel)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
