"""`cotsynth probe DIR`: one tiny model per granularity and seed, scored on every split, written to DIR/probe/.

probe.json holds only what the data and settings determine (the same bytes for the same output and
settings); wall times go to timings.json beside it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cotsynth.probe.data import ProbeDataError, load_examples, open_output
from cotsynth.probe.train import Settings, Trained, train_and_score

FOLDER = "probe"


def run_probe(folder: Path, settings: Settings, on_model: Callable[[str, int, Trained, float, float], None] | None = None) -> dict:
    """Train and score every (granularity, seed); write probe.json, timings.json, the plots and the card."""
    output = open_output(folder)
    results: dict[str, dict] = {}
    curves: dict[str, dict] = {}
    rows: dict[str, dict] = {}
    seconds: dict[str, list[float]] = {}
    cpu_seconds: dict[str, list[float]] = {}
    for granularity in settings.granularities:
        examples = load_examples(output, granularity, list(settings.tasks) or None, settings.max_rows)
        if not examples.get("train"):
            raise ProbeDataError(f"{folder}: no train rows of granularity {granularity!r}"
                                 + (f" in task(s) {', '.join(settings.tasks)}" if settings.tasks else ""))
        evals = {split: _eval_sample(found, settings.eval_rows) for split, found in examples.items() if found}
        runs = []
        for seed in range(settings.seeds):
            started, cpu = time.perf_counter(), time.process_time()
            trained = train_and_score(examples["train"], evals, settings, seed, output.answer_format)
            seconds.setdefault(granularity, []).append(round(time.perf_counter() - started, 1))
            cpu_seconds.setdefault(granularity, []).append(round(time.process_time() - cpu, 1))
            runs.append(trained)
            if on_model:
                on_model(granularity, seed, trained, seconds[granularity][-1], cpu_seconds[granularity][-1])
        results[granularity] = {
            split: _summary([r.accuracy[split] for r in runs]) for split in evals
        }
        curves[granularity] = {str(seed): r.losses for seed, r in enumerate(runs)}
        rows[granularity] = {split: len(found) for split, found in examples.items()} | {
            f"{split}_scored": len(sample) for split, sample in evals.items()}
    probe = {"settings": settings.as_dict(), "results": results, "rows": rows, "loss": curves}
    out = folder / FOLDER
    out.mkdir(exist_ok=True)
    (out / "probe.json").write_text(json.dumps(probe, indent=2, sort_keys=True) + "\n")
    (out / "timings.json").write_text(json.dumps({"wall_seconds_per_model": seconds, "cpu_seconds_per_model": cpu_seconds}, indent=2, sort_keys=True) + "\n")
    from cotsynth.probe.plots import accuracy_plot, loss_plot

    accuracy_plot(out / "accuracy.png", results)
    loss_plot(out / "loss.png", curves)
    from cotsynth.probe.card import add_to_card

    add_to_card(folder, probe)
    return probe


def _eval_sample(rows: list, count: int) -> list:
    """Up to `count` rows spread evenly over the split (rows are in shard order, so every task shows)."""
    if len(rows) <= count:
        return rows
    return [rows[i] for i in np.linspace(0, len(rows) - 1, count).round().astype(int)]


def _summary(values: list[float]) -> dict:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4),
            "seeds": [round(v, 4) for v in values]}
