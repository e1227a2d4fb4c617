"""The run's manifest: config and hash, package versions, counts per stage and timings."""

from __future__ import annotations

import platform
from collections import Counter
from importlib import metadata
from typing import Any

from cotsynth.config import PipelineConfig


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("cotsynth", "ray", "pyarrow", "datasets", "sympy", "pydantic", "jinja2", "math-verify", "datasketch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_manifest(
    config: PipelineConfig,
    stats: list[dict[str, Any]],
    drops: list[dict[str, str]],
    curation_counts: dict[str, Any],
    split_counts: dict[str, dict[str, int]],
    files: dict[str, list[str]],
) -> dict[str, Any]:
    """`stats` are the units' (their counts and step timings), `drops` every dropped record or problem."""
    seconds: Counter[str] = Counter()
    for s in stats:
        seconds.update(s["seconds"])
    drop_reasons = Counter(f"{d['stage']}: {d['reason'].split(':')[0]}" for d in drops)
    total = lambda key: sum(s.get(key, 0) for s in stats)  # noqa: E731
    manifest = {
        "status": "complete",
        "name": config.name,
        "config": config.canonical(),
        "config_hash": config.hash(),
        "seed": config.seed,
        "versions": package_versions(),
        "counts": {
            "generate": {"problems": total("problems")},
            "traces": {"rendered": total("traces")},
            "verify": {"kept": total("kept"), "verified": total("verified"), "dropped": sum(len(s["drops"]) for s in stats)},
            **curation_counts,
            "drop_reasons": dict(sorted(drop_reasons.items())),
            "splits": split_counts,
        },
        "files": files,
        "timings": {"stage_cpu_seconds": {k: round(v, 3) for k, v in sorted(seconds.items())}},
    }
    if any(t.source == "teacher" for t in config.traces):
        from cotsynth.teacher.report import aggregate

        manifest["counts"]["teacher"] = aggregate(config, stats)
    return manifest
