"""The dataset card (DIR/README.md): a YAML header `datasets` reads, and a body a person reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.outdir import DATA
from cotsynth.resources import resource_dir
from cotsynth.templating import environment


def size_category(rows: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < bound:
            return label
    return "1M<n<10M" if rows < 10_000_000 else "n>10M"


def folder(view: str) -> str:
    """A config's folder, which is also its key in the manifest's split counts: `default` is the records."""
    return DATA if view == "default" else view


def declared(config: PipelineConfig, manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Per config (`default` and each view), the splits with rows: only these have shards."""
    splits = manifest["counts"]["splits"]
    return {view: [s for s, c in splits.items() if c[folder(view)]]
            for view in ["default", *config.output.formats]}


def header(config: PipelineConfig, manifest: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    configs = []
    for view, splits in declared(config, manifest).items():
        if not splits:
            continue
        entry: dict[str, Any] = {
            "config_name": view,
            "data_files": [{"split": s, "path": f"{folder(view)}/{s}-*.parquet"} for s in splits],
        }
        if view == "default" or not configs:
            entry["default"] = True
        configs.append(entry)
    rows = sum(c["data"] for c in manifest["counts"]["splits"].values())
    return {
        "configs": configs,
        "dataset_info": dataset_info(config, manifest, out_dir),
        "license": config.output.license,
        "task_categories": ["text-generation", "question-answering"],
        "tags": ["synthetic", "chain-of-thought", "cotsynth", *sorted({t.family or "dataset" for t in config.tasks})],
        "size_categories": [size_category(rows)],
        "pretty_name": config.name,
    }


def dataset_info(config: PipelineConfig, manifest: dict[str, Any], out_dir: Path) -> list[dict[str, Any]]:
    """Each config's split sizes: rows, and bytes of its Parquet shards. `datasets` checks the rows on
    load, and it keys its cache of a local folder on the card (folder name, configs, dataset_info), not
    on the files: without the sizes a re-run into a same-named folder could load the earlier rows."""
    counts = manifest["counts"]["splits"]
    info = []
    for view, splits in declared(config, manifest).items():
        shards = manifest["files"].get(folder(view), [])
        info.append({"config_name": view, "splits": [
            {"name": s, "num_bytes": sum((out_dir / f).stat().st_size for f in shards if f.startswith(f"{folder(view)}/{s}-")),
             "num_examples": counts[s][folder(view)]}
            for s in splits]})
    return [entry for entry in info if entry["splits"]]


def contents(config: PipelineConfig, manifest: dict[str, Any]) -> list[str]:
    """What each config holds, in rows and from which records (Markdown lines)."""
    splits = manifest["counts"]["splits"].values()
    total = {key: sum(c.get(key, 0) for c in splits) for key in
             ("data", "data_verified", "data_negatives", "sft", "rl", "prm", "prm_labels", "prm_false_labels")}
    other = total["data"] - total["data_verified"] - total["data_negatives"]
    lines = [f"`default`: {total['data']} records: {total['data_verified']} verified, {total['data_negatives']} "
             f"error-injected negatives (`source: negative`, `verified: false`), {other} other unverified "
             f"(teacher traces kept by `keep: all` or `best`)"]
    if "sft" in config.output.formats:
        lines.append(
            f"`sft`: {total['sft']} rows, one per verified record"
            + (", plus one per unverified record other than a negative, ending in that trace's own predicted "
               "answer, never in the gold one (`output.sft.include_unverified`)" if config.output.sft.include_unverified
               else "; unverified records and negatives are left out")
        )
    if "rl" in config.output.formats:
        lines.append(f"`rl`: {total['rl']} rows, one per problem (its prompt and gold answer, no trace)")
    if "prm" in config.output.formats:
        share = total["prm_false_labels"] / total["prm_labels"] if total["prm_labels"] else 0.0
        lines.append(
            f"`prm`: {total['prm']} rows, one per record with step labels, negatives included; "
            f"{total['prm_false_labels']} of {total['prm_labels']} step labels are False ({share:.1%})"
            + ("; each row stops at its first False step" if config.output.prm.stop_at_first_error else "")
        )
    return lines


def render(config: PipelineConfig, manifest: dict[str, Any], out_dir: Path, report_summary: str = "",
           probe_summary: str = "") -> str:
    """The card; `probe_summary` is the Markdown of `cotsynth probe DIR` once the output has one."""
    env = environment(loader=jinja2.FileSystemLoader(resource_dir("templates") / "card"), keep_trailing_newline=True)
    canonical = config.canonical()
    tasks = [
        t | {"knobs_text": ", ".join(f"{k}={v}" for k, v in config.knob_settings(i).items())}
        for i, t in enumerate(canonical["tasks"])
    ]
    return env.get_template("README.md.j2").render(
        header=yaml.safe_dump(header(config, manifest, out_dir), sort_keys=False).strip(),
        name=config.name,
        version=manifest["versions"].get("cotsynth", "dev"),
        seed=config.seed,
        config_hash=manifest["config_hash"],
        splits=manifest["counts"]["splits"],
        contents=contents(config, manifest),
        empty=[f"{view}/{s}" for view, found in declared(config, manifest).items()
               for s in manifest["counts"]["splits"] if s not in found],
        formats=config.output.formats,
        tasks=tasks,
        traces=canonical["traces"],
        split_strategy=config.splits.strategy,
        counts=manifest["counts"],
        report_summary=report_summary,
        probe_summary=probe_summary,
        config_yaml=yaml.safe_dump(canonical, sort_keys=False),
    )
