"""The probe's two pictures: accuracy per split (bars per granularity, seed spread as error bars) and loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    """pyplot on the Agg backend (no display needed), imported only when the probe draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_plot(path: Path, results: dict[str, dict]) -> Path:
    plt = _pyplot()
    splits = list(dict.fromkeys(s for per_split in results.values() for s in per_split))
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(splits) * max(1, len(results)) / 2), 4))
    width = 0.8 / max(1, len(results))
    x = np.arange(len(splits))
    for k, (granularity, per_split) in enumerate(results.items()):
        means = [100 * per_split.get(s, {}).get("mean", 0.0) for s in splits]
        spread = [100 * per_split.get(s, {}).get("std", 0.0) for s in splits]
        bars = ax.bar(x + k * width, means, width, yerr=spread, capsize=3, label=granularity)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(x + 0.4 - width / 2, splits)
    ax.set(title="probe: exact-match answer accuracy", ylabel="accuracy (%)", ylim=(0, 105))
    ax.legend(title="granularity")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def loss_plot(path: Path, curves: dict[str, dict]) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for granularity, per_seed in curves.items():
        for seed, points in per_seed.items():
            steps, losses = zip(*points)
            ax.plot(steps, losses, label=f"{granularity} (seed {seed})")
    ax.set(title="probe: train loss (completion tokens)", xlabel="step", ylabel="cross-entropy", yscale="log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
