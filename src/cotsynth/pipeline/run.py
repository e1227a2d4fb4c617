"""The driver of a run: plan units, map the step chain over them on an executor, then curate, write
and report.

Per-unit results land in the parts (`DIR/.cotsynth/parts/`) as soon as they finish, written by the
worker when it shares the driver's machine (a unit is done when its stats file exists), which is what
`--resume` skips. Curation (dedup, splits, leakage, select) then works on the compact problems table
(structure columns and question keys, no text: see `diversity.keys`), which yields one split code per
problem; the writer streams the shards from the parts in unit order, each problem's rows taking its
code. The output is a function of the config alone, whatever executor, worker count or interruption
produced the parts, and memory holds per problem only compact columns.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cotsynth.config import PipelineConfig
from cotsynth.core.metrics import split_codes
from cotsynth.diversity import render_summary
from cotsynth.output.shards import write_text_atomic
from cotsynth.pipeline import card
from cotsynth.pipeline.chain import UnitResult
from cotsynth.pipeline.curate import settle_problems
from cotsynth.pipeline.executors import LocalExecutor, make_executor
from cotsynth.pipeline.manifest import build_manifest
from cotsynth.pipeline.outdir import DATA, DROPS, clear_derived, finish, finished_manifest, prepare_output_dir
from cotsynth.pipeline.parts import Parts, mark_done, part_path, save_tables
from cotsynth.pipeline.progress import EVERY, Watcher, plan, stage_done
from cotsynth.pipeline.report import build_report
from cotsynth.pipeline.steps import build_chain, build_steps
from cotsynth.pipeline.chain import combined_needs
from cotsynth.pipeline.units import WorkUnit, plan_units
from cotsynth.pipeline.writer import split_counts, write_shards
from cotsynth.core import progress
from cotsynth.schema import dumps
from cotsynth.sources.tasks import task_counts


# Below this many rows the report runs in the driver (its sample metrics on threads) even on Ray:
# shipping each unit's rows to the actors and back, and their first imports of the report's
# libraries, cost more than the work (quickstart, 9,000 rows: 1.3-2.8 s on the actors, 0.4-0.6 s here).
REPORT_ON_WORKERS_ROWS = 50_000


@dataclass
class RunOptions:
    out_dir: Path
    executor: str = "ray"
    workers: int | None = None
    ray_address: str | None = None
    limit: int | None = None
    resume: bool = False
    overwrite: bool = False
    progress_seconds: float = EVERY  # how often the progress counts are polled (and sent by Ray workers)


def effective_counts(config: PipelineConfig, limit: int | None) -> list[int]:
    return task_counts(config, limit)


def run_hash(config: PipelineConfig, limit: int | None) -> str:
    return f"{config.hash()}-{limit or 'all'}"


def with_absolute_paths(config: PipelineConfig) -> PipelineConfig:
    """The config with its paths made absolute: workers need not share the driver's working dir (the
    teacher step writes its answer cache from inside them)."""
    output = config.output.model_copy(update={"dir": os.path.abspath(config.output.dir)})
    traces = [
        t.model_copy(update={"cache_dir": os.path.abspath(t.cache_dir)}) if getattr(t, "cache_dir", None) else t
        for t in config.traces
    ]
    return config.model_copy(update={"output": output, "traces": traces})


def run_pipeline(
    config: PipelineConfig,
    options: RunOptions,
    on_unit: Callable[[UnitResult], None] | None = None,
    on_progress: Callable[[dict[str, float]], None] | None = None,
) -> dict[str, Any]:
    """Run a validated config into `options.out_dir`; returns the manifest written there.
    `on_progress(counts)` gets the phases' counts (`pipeline/progress.py`) every `progress_seconds`."""
    started = time.perf_counter()
    out_dir = options.out_dir
    identity = run_hash(config, options.limit)
    if options.resume and (done := finished_manifest(out_dir, identity)) is not None:
        return done
    counts = progress.snapshot if on_progress else None
    executor = make_executor(options.executor, options.workers, options.ray_address, counts, options.progress_seconds)
    prepare_output_dir(out_dir, identity, options.resume, options.overwrite)

    units = plan_units(effective_counts(config, options.limit))
    pending = [u for u in units if not part_path(out_dir, u, "stats.json").exists()]
    shipped = with_absolute_paths(config)
    needs = combined_needs(build_steps(shipped))  # steps build their heavy parts on first use: cheap here
    plan(config, pending)
    watcher = Watcher(executor.worker_counts, on_progress, options.progress_seconds) if on_progress else None
    map_started = time.perf_counter()
    try:
        make = functools.partial(build_chain, shipped)
        for result in executor.map(make, pending, cpus=needs.cpus, after=functools.partial(save_tables, out_dir.absolute())):
            mark_done(out_dir, result)  # its tables are saved: by its worker, or by the executor here
            if on_unit:
                on_unit(result)
        map_seconds = time.perf_counter() - map_started
        finalize_started = time.perf_counter()
        manifest, report = _finalize(config, out_dir, units, executor.imap)
        finalize_seconds = time.perf_counter() - finalize_started  # not the executor's shutdown below
    finally:
        if watcher:
            watcher.stop()
        executor.shutdown()
    manifest.update(
        run_hash=identity,
        limit=options.limit,
        run=executor.describe() | {"resumed_units": len(units) - len(pending)},
    )
    manifest["timings"]["map_wall_seconds"] = round(map_seconds, 3)
    manifest["timings"]["finalize_seconds"] = round(finalize_seconds, 3)
    manifest["timings"]["total_seconds"] = round(time.perf_counter() - started, 3)
    finish(out_dir, card.render(config, manifest, out_dir, render_summary(report)), manifest)
    return manifest


def _finalize(
    config: PipelineConfig, out_dir: Path, units: list[WorkUnit], imap: Callable
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Curation, the shards and the report, from the parts; the manifest records each one's wall
    seconds (the report's work runs around and beside the writing, so its share is the rest)."""
    started = time.perf_counter()
    clear_derived(out_dir, config.output.formats)
    stats = [json.loads(part_path(out_dir, u, "stats.json").read_text()) for u in units]
    drops = [d for s in stats for d in s["drops"]]
    parts = Parts(out_dir, units)
    rows = parts.row_counts([DATA, *config.output.formats])
    if int(rows[DATA].sum()) < REPORT_ON_WORKERS_ROWS:
        imap = LocalExecutor().imap
    # Not bound here: inside settle_problems a filtered table replaces the input instead of joining it.
    compact = parts.compact_problems()
    stage_done("read")
    settled = settle_problems(config, compact, parts.signatures)
    drops.extend(settled.drops)
    split_code = np.full(len(rows[DATA]), -1, np.int8)
    split_code[settled.rows] = split_codes(settled.splits)
    counts = split_counts(split_code, rows)
    progress.put("write.total", sum(n for c in counts.values() for name, n in c.items() if name in rows))
    curated = time.perf_counter()
    write_seconds = 0.0

    def write() -> Any:
        nonlocal write_seconds
        began = time.perf_counter()
        files = write_shards(parts, split_code, rows, counts, config.output.shard_rows)
        write_seconds = time.perf_counter() - began
        return files

    report, files = build_report(config, parts, settled, split_code, rows[DATA], imap, write)
    write_text_atomic(out_dir / DROPS, "".join(dumps(d) + "\n" for d in drops))
    manifest = build_manifest(config, stats, drops, settled.counts, counts, files)
    manifest["timings"] |= {
        "curate_seconds": round(curated - started, 3),
        "write_seconds": round(write_seconds, 3),
        "report_seconds": round(time.perf_counter() - curated - write_seconds, 3),
    }
    return manifest, report
