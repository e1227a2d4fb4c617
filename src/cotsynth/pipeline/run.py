"""The driver of a run: plan units, map them on an executor, then the global steps and the output.

Per-unit results land in `DIR/.cotsynth/parts/` as soon as they finish, written by the worker when
it shares the driver's machine (a unit is done when its stats file exists, see `parts`), which is
what `--resume` skips. The global steps (dedup, splits) then work on the
compact problems table (structure columns and question keys, no text: see `diversity.keys`), which
yields one split code per problem; the shards are streamed from the parts in unit order, each
problem's rows taking its code. The output is a function of the config alone, whatever executor,
worker count or interruption produced the parts, and memory holds per problem only compact columns.
"""

from __future__ import annotations

import functools
import json
import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cotsynth.config import PipelineConfig
from cotsynth.diversity import DiversityReport, dedup, render_summary, select
from cotsynth.diversity.metrics import SPLITS, split_codes
from cotsynth.diversity.reporting import report_part
from cotsynth.output import card
from cotsynth.output.shards import ShardWriter, write_text_atomic
from cotsynth.output.views import VIEW_SCHEMAS, place_rl
from cotsynth.pipeline.executors import make_executor
from cotsynth.pipeline.parts import WORK, Parts, mark_done, part_path, save_tables
from cotsynth.pipeline.stages import UnitResult
from cotsynth.pipeline.units import WorkUnit, plan_units
from cotsynth.schema import RECORD_SCHEMA, dumps
from cotsynth.sources.tasks import task_counts
from cotsynth.splits import assign, leakage

TEACHER_CACHE = ".cotsynth-cache"  # teacher answers; outlives the run and --overwrite


class OutputDirError(RuntimeError):
    """The output directory cannot be used as asked (exists, or holds another config's run)."""


@dataclass
class RunOptions:
    out_dir: Path
    executor: str = "ray"
    workers: int | None = None
    ray_address: str | None = None
    limit: int | None = None
    resume: bool = False
    overwrite: bool = False


def effective_counts(config: PipelineConfig, limit: int | None) -> list[int]:
    return task_counts(config, limit)


def run_hash(config: PipelineConfig, limit: int | None) -> str:
    return f"{config.hash()}-{limit or 'all'}"


def prepare_output_dir(out_dir: Path, identity: str, resume: bool, overwrite: bool) -> None:
    """Refuse an existing dir unless told; on --resume, accept only a run of the same config."""
    marker = out_dir / WORK / "run.json"
    holds_output = out_dir.exists() and any(p.name not in (WORK, TEACHER_CACHE) for p in out_dir.iterdir())
    if holds_output or marker.exists():
        if overwrite:
            for entry in out_dir.iterdir():  # all but the teacher cache: answers are never paid twice
                if entry.name != TEACHER_CACHE:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        elif resume:
            manifest = out_dir / "manifest.json"
            previous = None
            if marker.exists():
                previous = json.loads(marker.read_text())["run_hash"]
            elif manifest.exists():
                previous = json.loads(manifest.read_text()).get("run_hash")
            if previous != identity:
                raise OutputDirError(
                    f"{out_dir} holds a run of a different config ({previous or 'unknown'}); use --overwrite to replace it"
                )
        else:
            raise OutputDirError(f"{out_dir} already exists: pass --overwrite to replace it or --resume to continue it")
    write_text_atomic(marker, json.dumps({"run_hash": identity}))
    (out_dir / WORK / "parts").mkdir(parents=True, exist_ok=True)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("cotsynth", "ray", "pyarrow", "datasets", "sympy", "pydantic", "jinja2", "math-verify", "datasketch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def run_pipeline(
    config: PipelineConfig, options: RunOptions, on_unit: Callable[[UnitResult], None] | None = None
) -> dict[str, Any]:
    """Run a validated config into `options.out_dir`; returns the manifest written there."""
    started = time.perf_counter()
    out_dir = options.out_dir
    identity = run_hash(config, options.limit)
    manifest_path = out_dir / "manifest.json"
    if options.resume and manifest_path.exists() and not (out_dir / WORK).exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("run_hash") == identity and manifest.get("status") == "complete":
            return manifest
    executor = make_executor(options.executor, options.workers, options.ray_address)
    prepare_output_dir(out_dir, identity, options.resume, options.overwrite)

    units = plan_units(effective_counts(config, options.limit))
    pending = [u for u in units if not part_path(out_dir, u, "stats.json").exists()]
    map_started = time.perf_counter()
    try:
        for result in executor.map(config, pending, functools.partial(save_tables, out_dir.absolute())):
            mark_done(out_dir, result)  # its tables are saved: by its worker, or by the executor here
            if on_unit:
                on_unit(result)
        map_seconds = time.perf_counter() - map_started
        finalize_started = time.perf_counter()
        manifest, report = _finalize(config, out_dir, units, executor.imap)
    finally:
        executor.shutdown()
    manifest.update(
        run_hash=identity,
        limit=options.limit,
        run=executor.describe() | {"resumed_units": len(units) - len(pending)},
    )
    manifest["timings"]["map_wall_seconds"] = round(map_seconds, 3)
    manifest["timings"]["finalize_seconds"] = round(time.perf_counter() - finalize_started, 3)
    manifest["timings"]["total_seconds"] = round(time.perf_counter() - started, 3)
    write_text_atomic(out_dir / "README.md", card.render(config, manifest, render_summary(report)))
    # The manifest goes last: `status: complete` on disk means every other file is in place.
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(out_dir / WORK)
    return manifest


def _finalize(
    config: PipelineConfig, out_dir: Path, units: list[WorkUnit], imap: Callable
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The global steps and the output.

    `imap` (an executor's ordered map) runs the report's work: each unit's shipped rows are folded
    into a report part, then the sample metrics (Vendi, self-BLEU) start; on Ray both run on the
    workers, the metrics while the driver writes the shards and draws the plots."""
    for derived in ("data", *VIEW_SCHEMAS, "plots"):  # rebuilt from the parts: clear any interrupted attempt
        shutil.rmtree(out_dir / derived, ignore_errors=True)
    stats = [json.loads(part_path(out_dir, u, "stats.json").read_text()) for u in units]
    drops = [d for s in stats for d in s["drops"]]
    parts = Parts(out_dir, units)
    n_records, n_step_records = parts.record_counts()
    # Not bound here: inside settle_problems a filtered table replaces the input instead of joining it.
    settled = settle_problems(config, parts.compact_problems(), parts.signatures)
    drops.extend(settled.drops)
    split_code = np.full(len(n_records), -1, np.int8)
    split_code[settled.rows] = split_codes(settled.splits)
    diversity = DiversityReport(config.diversity, config.seed)
    diversity.add_dedup(settled.dedup_reasons)
    diversity.add_problems(settled.problems, settled.splits)
    global_counts = settled.counts

    split_counts = {}
    for code, split in enumerate(SPLITS):
        here = split_code == code
        if not here.any():
            continue
        rows = int(n_records[here].sum())
        split_counts[split] = {
            "problems": int(here.sum()),
            "data": rows,
            "sft": rows,  # one sft row per record
            "rl": int((n_records[here] > 0).sum()),
            "prm": int(n_step_records[here].sum()),
        }
    for part in imap(report_part, _report_inputs(config, parts, split_code, n_records)):
        diversity.merge(part)
    diversity.start_samples(imap)
    files = _write_shards(config, parts, split_code, n_records, n_step_records, split_counts)
    report = diversity.finish(out_dir)
    write_text_atomic(out_dir / "report.json", json.dumps(report, indent=2, sort_keys=True) + "\n")
    write_text_atomic(out_dir / "drops.jsonl", "".join(dumps(d) + "\n" for d in drops))

    seconds: Counter[str] = Counter()
    for s in stats:
        seconds.update(s["seconds"])
    drop_reasons = Counter(f"{d['stage']}: {d['reason'].split(':')[0]}" for d in drops)
    manifest = {
        "status": "complete",
        "name": config.name,
        "config": config.canonical(),
        "config_hash": config.hash(),
        "seed": config.seed,
        "versions": package_versions(),
        "counts": {
            "generate": {"problems": sum(s["problems"] for s in stats)},
            "traces": {"rendered": sum(s["traces"] for s in stats)},
            "verify": {
                "kept": sum(s["kept"] for s in stats),
                "verified": sum(s["verified"] for s in stats),
                "dropped": sum(len(s["drops"]) for s in stats),
            },
            **global_counts,
            "drop_reasons": dict(sorted(drop_reasons.items())),
            "splits": split_counts,
        },
        "files": files,
        "timings": {"stage_cpu_seconds": {k: round(v, 3) for k, v in sorted(seconds.items())}},
    }
    if any(t.source == "teacher" for t in config.traces):
        from cotsynth.teacher.report import aggregate

        manifest["counts"]["teacher"] = aggregate(config, stats)
    return manifest, report


@dataclass
class Settled:
    """What the global steps decided: the kept problems, their rows in the input, their splits, and
    why others went."""

    problems: pa.Table
    rows: np.ndarray
    splits: list[str]
    drops: list[dict[str, str]]
    counts: dict[str, Any]
    dedup_reasons: list[str | None]


def settle_problems(
    config: PipelineConfig, problems: pa.Table, signatures_of: Callable[[np.ndarray], np.ndarray] | None = None
) -> Settled:
    """The global steps over the compact problems table: dedup, split, leakage, selection.

    `signatures_of(rows)` gives MinHash signatures of input rows (default: from the table, see
    `diversity.keys`); only near-duplicate candidates are asked for."""
    drops: list[dict[str, str]] = []
    generated = problems.num_rows
    rows = np.arange(generated)

    def drop(table: pa.Table, rows: np.ndarray, reasons: list[str | None], stage: str) -> tuple[pa.Table, np.ndarray]:
        gone = [k for k, reason in enumerate(reasons) if reason is not None]
        if not gone:
            return table, rows
        for problem_id, k in zip(table.column("problem_id").take(pa.array(gone)).to_pylist(), gone):
            drops.append({"id": problem_id, "stage": stage, "reason": reasons[k]})
        keep = np.ones(len(reasons), bool)
        keep[gone] = False
        return table.filter(pa.array(keep)), rows[keep]

    def signatures_here(rows_now: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        return None if signatures_of is None else (lambda r: signatures_of(rows_now[r]))

    dedup_reasons = dedup(problems, config.diversity, signatures_here(rows))
    problems, rows = drop(problems, rows, dedup_reasons, "dedup")
    after_dedup = problems.num_rows
    splits = assign(problems, config.splits, config.seed)
    settled = leakage(problems, splits, config.splits, config.diversity.threshold, signatures_here(rows))
    problems, rows = drop(problems, rows, settled["reasons"], "leakage")
    splits = [s for s in settled["splits"] if s is not None]
    chosen = select(problems, splits, config.diversity, config.seed, signatures_here(rows))
    problems, rows = drop(problems, rows, [None if keep else "not_selected" for keep in chosen], "select")
    splits = [s for s, keep in zip(splits, chosen) if keep]
    counts = {
        "dedup": {"kept_problems": after_dedup, "dropped_problems": generated - after_dedup},
        "leakage": {"moved": settled["moved"], "dropped": settled["dropped"], "policy": settled["policy"]},
        "select": {"kept_problems": problems.num_rows, "dropped_problems": len(chosen) - problems.num_rows},
    }
    return Settled(problems, rows, splits, drops, counts, dedup_reasons)


_SPLIT_NAMES = pa.array(["", *SPLITS], pa.string())


def _split_labels(codes: np.ndarray) -> pa.Array:
    """Split names of split codes (code -1, dropped: the empty string)."""
    return _SPLIT_NAMES.take(pa.array(codes.astype(np.int64) + 1))


def _report_inputs(config: PipelineConfig, parts: Parts, split_code: np.ndarray, n_records: np.ndarray) -> Iterator[tuple]:
    """Per unit with shipped rows, the arguments of its `report_part`: its shipped traces and kept
    questions with their splits, and the worker's sketches when every row ships."""
    for k, unit in enumerate(parts.units):
        codes = split_code[parts.rows(k)]
        kept = codes >= 0
        if not kept.any():
            continue
        per_record = np.repeat(codes, n_records[parts.rows(k)])
        shipped = per_record >= 0
        traces = parts.read(unit, "records", ["granularity", "cot", "cot_steps"]).filter(pa.array(shipped))
        traces = traces.append_column("split", _split_labels(per_record[shipped]))
        questions = parts.read(unit, "problems", ["problem_id", "question"]).filter(pa.array(kept))
        yield (
            config.diversity,
            config.seed,
            traces,
            questions.column("question").combine_chunks(),
            questions.column("problem_id").combine_chunks(),
            _split_labels(codes[kept]).to_pylist(),
            parts.read(unit, "sketches") if kept.all() else None,
        )


def _write_shards(
    config: PipelineConfig,
    parts: Parts,
    split_code: np.ndarray,
    n_records: np.ndarray,
    n_step_records: np.ndarray,
    split_counts: dict[str, dict[str, int]],
) -> dict[str, list[str]]:
    """Stream every unit's records and view rows into the split shards; each problem's rows take its
    split code (rows per problem: n_records for data and sft, n_step_records for prm, one for rl)."""
    out_dir = parts.out_dir
    views = ["data", *config.output.formats]
    schemas = {"data": RECORD_SCHEMA} | {v: VIEW_SCHEMAS[v] for v in config.output.formats}
    writers = {
        (view, split): ShardWriter(out_dir / view, split, schemas[view], counts[view], config.output.shard_rows)
        for split, counts in split_counts.items()
        for view in views
    }
    rl_index: Counter[str] = Counter()
    split_field = RECORD_SCHEMA.get_field_index("split")
    for k, unit in enumerate(parts.units):
        here = parts.rows(k)
        codes, counts = split_code[here], n_records[here]
        per_record = np.repeat(codes, counts)
        per_row = {
            "data": per_record,
            "sft": per_record,
            "rl": codes[counts > 0],
            "prm": np.repeat(codes, n_step_records[here]),
        }
        tables = {view: parts.read(unit, "records" if view == "data" else view) for view in views}
        for view, table in tables.items():
            if table.num_rows != len(per_row[view]):
                raise RuntimeError(
                    f"part {unit.key}: {table.num_rows} {view} rows where the problems table counts {len(per_row[view])}"
                )
        tables["data"] = tables["data"].set_column(split_field, RECORD_SCHEMA.field("split"), _split_labels(per_record))
        for split in split_counts:
            code = SPLITS.index(split)
            for view, table in tables.items():
                rows = table.filter(pa.array(per_row[view] == code))
                if view == "rl":
                    rows = place_rl(rows, split, rl_index[split])
                    rl_index[split] += rows.num_rows
                writers[view, split].write(rows)
    files: dict[str, list[str]] = {}
    for (view, _split), writer in writers.items():
        files.setdefault(view, []).extend(str(p.relative_to(out_dir)) for p in writer.close())
    return files
