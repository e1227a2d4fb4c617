"""The dataset card (DIR/README.md): a YAML header `datasets` reads, and a body a person reads."""

from __future__ import annotations

from typing import Any

import jinja2
import yaml

from cotsynth.config import PipelineConfig
from cotsynth.resources import resource_dir


def size_category(rows: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < bound:
            return label
    return "1M<n<10M" if rows < 10_000_000 else "n>10M"


def header(config: PipelineConfig, manifest: dict[str, Any]) -> dict[str, Any]:
    splits = list(manifest["counts"]["splits"])
    configs = []
    for view in ["default", *config.output.formats]:
        folder = "data" if view == "default" else view
        entry: dict[str, Any] = {
            "config_name": view,
            "data_files": [{"split": s, "path": f"{folder}/{s}-*.parquet"} for s in splits],
        }
        if view == "default":
            entry["default"] = True
        configs.append(entry)
    rows = sum(c["data"] for c in manifest["counts"]["splits"].values())
    return {
        "configs": configs,
        "license": config.output.license,
        "task_categories": ["text-generation", "question-answering"],
        "tags": ["synthetic", "chain-of-thought", "cotsynth", *sorted({t.family for t in config.tasks})],
        "size_categories": [size_category(rows)],
        "pretty_name": config.name,
    }


def render(config: PipelineConfig, manifest: dict[str, Any], report_summary: str = "", probe_summary: str = "") -> str:
    """The card; `probe_summary` is the Markdown of `cotsynth probe DIR` once the output has one."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates") / "card"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    canonical = config.canonical()
    tasks = [
        t | {"knobs_text": ", ".join(f"{k}={v}" for k, v in config.knob_settings(i).items())}
        for i, t in enumerate(canonical["tasks"])
    ]
    return env.get_template("README.md.j2").render(
        header=yaml.safe_dump(header(config, manifest), sort_keys=False).strip(),
        name=config.name,
        version=manifest["versions"].get("cotsynth", "dev"),
        seed=config.seed,
        config_hash=manifest["config_hash"],
        splits=manifest["counts"]["splits"],
        formats=config.output.formats,
        tasks=tasks,
        traces=canonical["traces"],
        split_strategy=config.splits.strategy,
        counts=manifest["counts"],
        report_summary=report_summary,
        probe_summary=probe_summary,
        config_yaml=yaml.safe_dump(canonical, sort_keys=False),
    )
