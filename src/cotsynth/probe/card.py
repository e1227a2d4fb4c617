"""The card's "Probe" section: the dataset card (DIR/README.md) is rendered again with the probe's table,
from the same manifest, config and report the run rendered it from, so the rest of the card is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from cotsynth.config import parse_config
from cotsynth.diversity import render_summary
from cotsynth.pipeline import card
from cotsynth.output.shards import write_text_atomic
from cotsynth.probe.data import run_order


def probe_markdown(probe: dict) -> str:
    """A table of accuracy (mean ± spread over seeds) per granularity and split, and how it was measured."""
    s = probe["settings"]
    splits = list(dict.fromkeys(split for per_split in probe["results"].values() for split in per_split))
    lines = [
        f"A {s['layers']}-layer, d = {s['d_model']} transformer over {s['vocabulary']} trained from scratch for {s['steps']} steps "
        f"(batch {s['batch_size']}) per granularity on the train split"
        + (f" of task(s) {', '.join(s['tasks'])}" if s["tasks"] else "")
        + f"; exact-match answer accuracy (greedy decoding), mean ± spread over {s['seeds']} seed(s), "
        f"on up to {s['eval_rows']} rows per split (`cotsynth probe`; `probe/probe.json`, `probe/accuracy.png`).",
        "",
        "| granularity | " + " | ".join(splits) + " |",
        "|---|" + "---|" * len(splits),
    ]
    for granularity, per_split in probe["results"].items():
        cells = [f"{100 * per_split[x]['mean']:.1f}% ± {100 * per_split[x]['std']:.1f}" if x in per_split else "n/a"
                 for x in splits]
        lines.append(f"| {granularity} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_to_card(folder: Path, probe: dict) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    report = json.loads((folder / "report.json").read_text())
    config = parse_config(manifest["config"])
    for figures in (manifest["counts"], report):  # stored with sorted keys; the card lists splits in run order
        if isinstance(figures.get("splits"), dict):
            figures["splits"] = {split: figures["splits"][split] for split in run_order(figures["splits"])}
    text = card.render(config, manifest, folder, render_summary(report), probe_markdown(probe))
    write_text_atomic(folder / "README.md", text)
