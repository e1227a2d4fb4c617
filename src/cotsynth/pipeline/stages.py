"""The pipeline's per-example stages: generate problems → render traces → verify.

Each stage is a small class whose `run` maps a stream to a stream (datatrove's shape); none of them
knows which executor runs it. `UnitProcessor` chains them over one work unit and returns plain
Arrow tables, the only thing that crosses a process or node boundary.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cotsynth.config import PipelineConfig
from cotsynth.diversity.keys import key_columns
from cotsynth.diversity.sketch import sketches_table, unit_sketches
from cotsynth.output.views import unit_views
from cotsynth.pipeline.units import WorkUnit
from cotsynth.schema import dumps, to_table
from cotsynth.sources.dataset import RowDrop
from cotsynth.sources.tasks import task_problems
from cotsynth.tasks.base import Problem
from cotsynth.traces.symbolic import Trace, render
from cotsynth.verify.symbolic import TraceVerdict, verify_symbolic

PROBLEMS_SCHEMA = pa.schema(
    [
        ("problem_id", pa.string()),
        ("task", pa.string()),
        ("template_id", pa.string()),
        ("knobs", pa.string()),
        ("atoms", pa.list_(pa.string())),
        ("compounds", pa.list_(pa.string())),
        ("complexity", pa.int32()),
        ("shape", pa.string()),
        ("question", pa.string()),
        ("n_records", pa.int32()),  # rows this problem contributes to data/ (after verification)
        ("n_step_records", pa.int32()),  # of which carry step labels (rows of the prm view)
    ]
)  # then the question keys of `diversity.keys`: exact_key, lsh_bands, minhash


class GenerateProblems:
    """A unit's problems from its task's source (a family, or a dataset's rows); a row that cannot
    be a problem comes out as a `RowDrop`."""

    def __init__(self, config: PipelineConfig):
        self.config = config

    def run(self, units: Iterable[WorkUnit]) -> Iterator[Problem | RowDrop]:
        for unit in units:
            yield from task_problems(self.config, unit.task_index, unit.start, unit.stop)


class RenderSymbolicTraces:
    """Every configured (granularity, style) of each problem, in config order."""

    def __init__(self, config: PipelineConfig):
        self.variants = [
            (g, s) for spec in config.traces if spec.source == "symbolic" for g in spec.granularity for s in spec.style
        ]
        # `answer` traces carry no steps, so one style is enough.
        self.variants = list(dict.fromkeys((g, "steps" if g == "answer" else s) for g, s in self.variants))

    def run(self, problems: Iterable[Problem]) -> Iterator[tuple[Problem, list[Trace]]]:
        for problem in problems:
            yield problem, [render(problem, g, s) for g, s in self.variants]


class VerifyTraces:
    def run(
        self, items: Iterable[tuple[Problem, list[Trace]]]
    ) -> Iterator[tuple[Problem, list[tuple[Trace, TraceVerdict]]]]:
        for problem, traces in items:
            yield problem, [(trace, verify_symbolic(trace)) for trace in traces]


def record_id(trace: Trace) -> str:
    return f"{trace.problem.id}/{trace.granularity}/{trace.style}/{trace.source}/{trace.sample_index}"


def to_record(trace: Trace, verdict: TraceVerdict, seed: int) -> dict[str, Any]:
    problem = trace.problem
    graph = problem.graph
    return {
        "id": record_id(trace),
        "task": problem.task,
        "split": "",  # assigned globally, when every problem is known
        "knobs": dumps(problem.knobs),
        "seed": seed,
        "template_id": problem.template_id,
        "question": problem.question,
        "answer": problem.answer,
        "answer_type": problem.answer_type,
        "granularity": trace.granularity,
        "style": trace.style,
        "cot": trace.cot,
        "cot_steps": trace.cot_steps,
        "source": trace.source,
        "sample_index": trace.sample_index,
        "verified": verdict.verified,
        "step_labels": verdict.step_labels,
        "verification": dumps({"method": verdict.method, "reason": verdict.reason}),
        "atoms": graph.atoms(),
        "compounds": graph.compounds(),
        "complexity": graph.complexity(),
        "graph": dumps(graph.to_json()),
        "meta": dumps({"step_nodes": [list(s.nodes) for s in trace.steps], **trace.meta}),
    }


def _teacher_records(
    teacher: Any, unit: WorkUnit, problems: list[Problem], drops: list[dict[str, str]], config: PipelineConfig
) -> tuple[dict[str, Any], list[list[tuple[Trace, TraceVerdict]]]]:
    """Run one teacher stage over a unit: the kept (trace, verdict) pairs per problem, and its stats.
    Rejected and failed samples go to `drops` with their reason (keep policy, verification, request)."""
    from cotsynth.teacher.stage import outcome_counts

    results, client = teacher.run(problems, config.tasks[unit.task_index].key)
    per_problem, kept_count = [], {}
    for problem, samples in results:
        kept, rejected = teacher.keep(samples)
        if problem.from_dataset:  # a difficulty a `difficulty` split can read: the first teacher's misses
            rate = samples[0].trace.meta["pass_rate"] if samples else None
            problem.knobs.setdefault("teacher_fail_rate", round(1 - (rate or 0.0), 6))
        per_problem.append([(s.trace, s.verdict) for s in kept])
        kept_count[problem.id] = sum(not s.failed for s in kept)
        for sample, why in rejected:
            drops.append({"id": record_id(sample.trace), "stage": "teacher", "reason": why})
    stats = outcome_counts(results, kept_count) | {"source": teacher.source, "client": client}
    stats["samples"]["kept"] = sum(len(k) for k in per_problem)
    stats["samples"]["rejected"] = stats["samples"]["requested"] - stats["samples"]["kept"]
    return stats, per_problem


@dataclass
class UnitResult:
    unit: WorkUnit
    records: pa.Table | None  # None once the tables are saved (`parts.save_tables`): only stats travel
    problems: pa.Table | None
    stats: dict[str, Any] = field(default_factory=dict)
    views: dict[str, pa.Table] = field(default_factory=dict)  # the unit's rows of each training view
    sketches: pa.Table | None = None  # distinct-n sketches of its questions and CoTs, for the report


class UnitProcessor:
    """Runs the stages over one work unit; held by a worker (a Ray actor, or the local process)."""

    def __init__(self, config: PipelineConfig, parallel_units: int = 1):
        self.config = config
        self.generate = GenerateProblems(config)
        self.render = RenderSymbolicTraces(config)
        self.verify = VerifyTraces()
        self.teachers = []
        if any(spec.source == "teacher" for spec in config.traces):
            # Imported only here: the teacher stage (openai, aiohttp) costs symbolic-only runs nothing.
            from cotsynth.teacher.stage import TeacherStage

            self.teachers = [TeacherStage(config, spec, parallel_units) for spec in config.traces if spec.source == "teacher"]

    def __call__(self, unit: WorkUnit) -> UnitResult:
        timings: Counter[str] = Counter()
        drops: list[dict[str, str]] = []
        records: list[dict[str, Any]] = []
        problem_rows: list[dict[str, Any]] = []
        n_traces = 0

        started = time.perf_counter()
        problems = []
        for problem in self.generate.run([unit]):
            if isinstance(problem, RowDrop):
                drops.append({"id": problem.id, "stage": "dataset", "reason": problem.reason})
            else:
                problems.append(problem)
        timings["generate"] += time.perf_counter() - started
        started = time.perf_counter()
        rendered = list(self.render.run(problems))
        timings["traces"] += time.perf_counter() - started
        started = time.perf_counter()
        verified = list(self.verify.run(rendered))
        timings["verify"] += time.perf_counter() - started
        teacher_stats = []
        for teacher in self.teachers:
            started = time.perf_counter()
            counts, extra = _teacher_records(teacher, unit, problems, drops, self.config)
            teacher_stats.append(counts)
            for i, pairs in enumerate(extra):
                verified[i][1].extend(pairs)
            timings["teacher"] += time.perf_counter() - started

        started = time.perf_counter()
        for problem, pairs in verified:
            kept = 0
            with_steps = 0
            for trace, verdict in pairs:
                n_traces += 1
                if not verdict.verified and trace.source == "symbolic":
                    # A symbolic trace that fails its own graph is a generator bug: counted, never shipped.
                    drops.append({"id": record_id(trace), "stage": "verify", "reason": verdict.reason})
                    continue
                records.append(to_record(trace, verdict, self.config.seed))
                kept += 1
                with_steps += verdict.step_labels is not None
            graph = problem.graph
            problem_rows.append(
                {
                    "problem_id": problem.id,
                    "task": problem.task,
                    "template_id": problem.template_id,
                    "knobs": dumps(problem.knobs),
                    "atoms": graph.atoms(),
                    "compounds": graph.compounds(),
                    "complexity": graph.complexity(),
                    "shape": graph.shape(),
                    "question": problem.question,
                    "n_records": kept,
                    "n_step_records": with_steps,
                }
            )
        timings["records"] += time.perf_counter() - started
        stats = {
            "problems": len(problems),
            "traces": n_traces + sum(t["samples"]["rejected"] for t in teacher_stats),
            "kept": len(records),
            "verified": sum(r["verified"] for r in records),  # kept rows that verified (teacher `keep: all` keeps others)
            "drops": drops,
            "seconds": dict(timings),
        }
        if teacher_stats:
            stats["teacher"] = teacher_stats
        started = time.perf_counter()
        problem_table = pa.Table.from_pylist(problem_rows, schema=PROBLEMS_SCHEMA)
        keys = key_columns(problem_table.column("question"), self.config.diversity.threshold)
        for key_field, column in zip(keys.schema, keys.columns):
            problem_table = problem_table.append_column(key_field, column)
        output = self.config.output
        views = unit_views(records, output.formats, output.answer_format)
        table = to_table(records)
        sketches = sketches_table(unit_sketches(problem_table.column("question"), table.column("cot")))
        timings["output"] += time.perf_counter() - started
        stats["seconds"] = dict(timings)
        return UnitResult(unit, table, problem_table, stats, views, sketches)
