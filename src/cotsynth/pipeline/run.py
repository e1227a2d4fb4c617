"""The driver of a run: plan units, map them on an executor, then the global steps and the output.

Per-unit results land in `DIR/.cotsynth/parts/` as soon as they arrive (a unit is done when its
stats file exists), which is what `--resume` skips. The global steps (dedup, splits) then work on the
compact problems table, and the shards are streamed from the parts in unit order: the output is a
function of the config alone, whatever executor, worker count or interruption produced the parts.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.config import PipelineConfig
from cotsynth.diversity import DiversityReport, dedup, render_summary, select
from cotsynth.output import card
from cotsynth.output.shards import ShardWriter, write_text_atomic
from cotsynth.output.views import VIEW_SCHEMAS, prm_row, rl_row, sft_row
from cotsynth.pipeline.executors import make_executor
from cotsynth.pipeline.stages import UnitResult
from cotsynth.pipeline.units import WorkUnit, plan_units
from cotsynth.schema import RECORD_SCHEMA, dumps, problem_id_of
from cotsynth.splits import assign, leakage

WORK = ".cotsynth"
TEACHER_CACHE = ".cotsynth-cache"  # teacher answers; outlives the run and --overwrite
SPLIT_ORDER = ("train", "validation", "test")


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
    return [min(t.count, limit) if limit else t.count for t in config.tasks]


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


def _part(out_dir: Path, unit: WorkUnit, kind: str) -> Path:
    return out_dir / WORK / "parts" / f"{unit.key}.{kind}"


def _save_unit(out_dir: Path, result: UnitResult) -> None:
    """Records and problems first, stats last: the stats file marks the unit done."""
    for kind, table in (("records.arrow", result.records), ("problems.arrow", result.problems)):
        path = _part(out_dir, result.unit, kind)
        temporary = path.with_name(path.name + ".tmp")
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        temporary.replace(path)
    write_text_atomic(_part(out_dir, result.unit, "stats.json"), json.dumps(result.stats))


def _read_arrow(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


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
    pending = [u for u in units if not _part(out_dir, u, "stats.json").exists()]
    map_started = time.perf_counter()
    try:
        for result in executor.map(config, pending):
            _save_unit(out_dir, result)
            if on_unit:
                on_unit(result)
    finally:
        executor.shutdown()
    map_seconds = time.perf_counter() - map_started

    finalize_started = time.perf_counter()
    manifest, report = _finalize(config, out_dir, units)
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


def _finalize(config: PipelineConfig, out_dir: Path, units: list[WorkUnit]) -> tuple[dict[str, Any], dict[str, Any]]:
    for derived in ("data", *VIEW_SCHEMAS, "plots"):  # rebuilt from the parts: clear any interrupted attempt
        shutil.rmtree(out_dir / derived, ignore_errors=True)
    stats = [json.loads(_part(out_dir, u, "stats.json").read_text()) for u in units]
    problems = pa.concat_tables([_read_arrow(_part(out_dir, u, "problems.arrow")) for u in units])
    drops = [d for s in stats for d in s["drops"]]

    settled = settle_problems(config, problems)
    kept, splits, global_counts = settled.problems, settled.splits, settled.counts
    drops.extend(settled.drops)
    split_of = dict(zip(kept.column("problem_id").to_pylist(), splits))
    diversity = DiversityReport(config.diversity, config.seed)
    diversity.add_dedup(settled.dedup_reasons)
    diversity.add_problems(kept, splits)

    split_counts = {}
    for split in SPLIT_ORDER:
        mask = pa.array([s == split for s in splits])
        part = kept.filter(mask)
        if part.num_rows == 0:
            continue
        rows = pc.sum(part.column("n_records")).as_py() or 0
        split_counts[split] = {
            "problems": part.num_rows,
            "data": rows,
            "sft": rows,  # one sft row per record
            "rl": pc.sum(pc.greater(part.column("n_records"), 0)).as_py() or 0,
            "prm": pc.sum(part.column("n_step_records")).as_py() or 0,
        }
    files = _write_shards(config, out_dir, units, split_of, split_counts, diversity)
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
    """What the global steps decided: the kept problems, their splits, and why others went."""

    problems: pa.Table
    splits: list[str]
    drops: list[dict[str, str]]
    counts: dict[str, Any]
    dedup_reasons: list[str | None]


def settle_problems(config: PipelineConfig, problems: pa.Table) -> Settled:
    """The global steps over the compact problems table: dedup, split, leakage, selection."""
    drops: list[dict[str, str]] = []

    def drop(table: pa.Table, reasons: list[str | None], stage: str) -> pa.Table:
        for problem_id, reason in zip(table.column("problem_id").to_pylist(), reasons):
            if reason is not None:
                drops.append({"id": problem_id, "stage": stage, "reason": reason})
        return table.filter(pa.array([r is None for r in reasons]))

    dedup_reasons = dedup(problems, config.diversity)
    kept = drop(problems, dedup_reasons, "dedup")
    after_dedup = kept.num_rows
    splits = assign(kept, config.splits, config.seed)
    settled = leakage(kept, splits, config.splits, threshold=config.diversity.threshold)
    kept = drop(kept, settled["reasons"], "leakage")
    splits = [s for s in settled["splits"] if s is not None]
    chosen = select(kept, splits, config.diversity, config.seed)
    kept = drop(kept, [None if keep else "not_selected" for keep in chosen], "select")
    splits = [s for s, keep in zip(splits, chosen) if keep]
    counts = {
        "dedup": {"kept_problems": after_dedup, "dropped_problems": problems.num_rows - after_dedup},
        "leakage": {"moved": settled["moved"], "dropped": settled["dropped"], "policy": settled["policy"]},
        "select": {"kept_problems": kept.num_rows, "dropped_problems": len(chosen) - kept.num_rows},
    }
    return Settled(kept, splits, drops, counts, dedup_reasons)


def _write_shards(
    config: PipelineConfig,
    out_dir: Path,
    units: list[WorkUnit],
    split_of: dict[str, str],
    split_counts: dict[str, dict[str, int]],
    diversity: DiversityReport,
) -> dict[str, list[str]]:
    views = ["data", *config.output.formats]
    schemas = {"data": RECORD_SCHEMA} | {v: VIEW_SCHEMAS[v] for v in config.output.formats}
    writers = {
        (view, split): ShardWriter(out_dir / view, split, schemas[view], counts[view], config.output.shard_rows)
        for split, counts in split_counts.items()
        for view in views
    }
    rl_index: Counter[str] = Counter()
    position = RECORD_SCHEMA.get_field_index("split")
    for unit in units:
        table = _read_arrow(_part(out_dir, unit, "records.arrow"))
        row_splits = [split_of.get(problem_id_of(i), "") for i in table.column("id").to_pylist()]
        table = table.set_column(position, RECORD_SCHEMA.field("split"), pa.array(row_splits, pa.string()))
        for split in split_counts:
            rows = table.filter(pa.array([s == split for s in row_splits]))
            writers["data", split].write(rows)
            diversity.add_traces(rows)
            if not config.output.formats:
                continue
            records = rows.to_pylist()
            by_view: dict[str, list[dict[str, Any]]] = {v: [] for v in config.output.formats}
            previous_problem = None
            for record in records:
                problem = problem_id_of(record["id"])
                if "sft" in by_view:
                    by_view["sft"].append(sft_row(record, config.output.answer_format))
                if "rl" in by_view and problem != previous_problem:
                    by_view["rl"].append(rl_row(record, rl_index[split]))
                    rl_index[split] += 1
                if "prm" in by_view and record["step_labels"] is not None:
                    by_view["prm"].append(prm_row(record))
                previous_problem = problem
            for view, view_rows in by_view.items():
                writers[view, split].write(pa.Table.from_pylist(view_rows, schema=VIEW_SCHEMAS[view]))
    files: dict[str, list[str]] = {}
    for (view, _split), writer in writers.items():
        files.setdefault(view, []).extend(str(p.relative_to(out_dir)) for p in writer.close())
    return files
