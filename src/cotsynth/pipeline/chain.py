"""One work unit through the steps: source → render → verify → (teacher …) → records → outputs.

A step is a small object with a `name` (its timing key), its `needs` (what a worker running it must
have) and `run(work)`, which reads and extends the unit's `UnitWork`; an async step's `run` is a
coroutine, run on the I/O event loop. `StepChain` runs the configured steps in order and times each
one, and reports the unit's progress after each (`core.progress`, which the executor forwards): no
step times itself, and none knows which executor runs it. The chain's `UnitResult` (Arrow
tables and plain stats) is the only thing that crosses a process or node boundary.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa

from cotsynth.core import progress
from cotsynth.core.loop import run_loop
from cotsynth.pipeline.units import WorkUnit
from cotsynth.tasks.base import Problem
from cotsynth.traces.symbolic import Trace
from cotsynth.traces.verify import TraceVerdict


@dataclass(frozen=True)
class Needs:
    """What a step asks of the worker that runs it."""

    cpus: float = 1.0  # the share of a CPU the worker claims (a step waiting on the network: less)
    concurrency: int | None = None  # requests in flight, one budget shared by every worker
    is_async: bool = False  # `run` is a coroutine

    def share(self, workers: int) -> int | None:
        """This worker's part of the concurrency budget when `workers` workers share it."""
        return None if self.concurrency is None else max(1, math.ceil(self.concurrency / max(1, workers)))


class Step(Protocol):
    name: str
    needs: Needs

    def run(self, work: UnitWork) -> Any: ...


@dataclass
class UnitWork:
    """What the steps build for one unit, in data-flow order."""

    unit: WorkUnit
    problems: list[Problem] = field(default_factory=list)
    rendered: list[list[Trace]] = field(default_factory=list)  # per problem, awaiting verification
    verified: list[list[tuple[Trace, TraceVerdict]]] = field(default_factory=list)  # per problem
    drops: list[dict[str, str]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)  # counts the steps report (problems, traces, kept, ...)
    extra_stats: dict[str, list[Any]] = field(default_factory=dict)  # per-step figures (teacher: one per spec)
    records: list[dict[str, Any]] = field(default_factory=list)
    problem_rows: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, pa.Table] = field(default_factory=dict)  # records, problems, one per view


@dataclass
class UnitResult:
    unit: WorkUnit
    tables: dict[str, pa.Table] | None  # None once saved (`parts.save_tables`): only stats travel
    stats: dict[str, Any] = field(default_factory=dict)


def combined_needs(steps: list[Step]) -> Needs:
    """A worker runs every step: it claims the least CPU any step asks for (a waiting step bounds how
    busy it is), and the steps' concurrency budgets add up."""
    budgets = [s.needs.concurrency for s in steps if s.needs.concurrency is not None]
    return Needs(
        cpus=min((s.needs.cpus for s in steps), default=1.0),
        concurrency=sum(budgets) if budgets else None,
        is_async=any(s.needs.is_async for s in steps),
    )


class StepChain:
    """Runs the steps over one work unit; held by a worker (a Ray actor, or the local process)."""

    def __init__(self, steps: list[Step]):
        self.steps = steps
        self.needs = combined_needs(steps)

    def __call__(self, unit: WorkUnit) -> UnitResult:
        work = UnitWork(unit)
        timings: Counter[str] = Counter()  # CPU seconds of this process per step
        wall: Counter[str] = Counter()  # and wall seconds: they differ for a step that waits (a teacher)
        size, reported = unit.stop - unit.start, 0
        for k, step in enumerate(self.steps, 1):
            started, cpu = time.perf_counter(), time.process_time()
            outcome = step.run(work)
            if step.needs.is_async:
                run_loop(outcome)
            timings[step.name] += time.process_time() - cpu
            wall[step.name] += time.perf_counter() - started
            done = size * k // len(self.steps)  # the unit's problems, in shares of its steps
            progress.add("units.problems", done - reported)
            reported = done
        progress.add("units.done")
        stats: dict[str, Any] = dict(work.stats) | work.extra_stats
        stats |= {"drops": work.drops, "seconds": dict(timings), "wall_seconds": dict(wall)}
        return UnitResult(unit, work.tables, stats)
