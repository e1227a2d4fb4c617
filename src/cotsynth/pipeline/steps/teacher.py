"""The teacher step: one per `source: teacher` entry. Samples CoT for the unit's problems from an
OpenAI-compatible endpoint (`teacher.stage`), judges each sample, applies `keep`, and adds the kept
(trace, verdict) pairs after the symbolic ones; rejected and failed samples go to the drops.

It waits on the network: a worker running it claims a fraction of a CPU (a pool claiming every CPU
can hang, ray#44687), and the spec's `max_concurrency` is shared among the workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cotsynth.config import PipelineConfig, TeacherTraces
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.outdir import TEACHER_CACHE
from cotsynth.pipeline.steps.registry import register
from cotsynth.schema import record_id

IO_CPUS = 0.25


class TeacherStep:
    name = "teacher"

    def __init__(self, config: PipelineConfig, spec: TeacherTraces, workers: int):
        self.config, self.spec = config, spec
        self.needs = Needs(cpus=IO_CPUS, concurrency=spec.max_concurrency, is_async=True)
        self.concurrency = self.needs.share(workers)
        self.cache_dir = Path(spec.cache_dir) if spec.cache_dir else Path(config.output.dir) / TEACHER_CACHE
        self._stage: Any = None

    @property
    def stage(self) -> Any:
        """Built on first use, in the worker: the driver only asks a step for its needs."""
        if self._stage is None:
            # Imported here: the teacher stage (openai, aiohttp) costs symbolic-only runs nothing.
            from cotsynth.teacher.stage import TeacherStage

            self._stage = TeacherStage(self.config, self.spec, self.cache_dir, self.concurrency)
        return self._stage

    async def run(self, work: UnitWork) -> None:
        from cotsynth.teacher.stage import outcome_counts

        if self.config.tasks[work.unit.task_index].traces is not None:
            work.extra_stats.setdefault("teacher", []).append(None)  # the task sets its own traces
            return
        stage = self.stage
        results, client = await stage.arun(work.problems, self.config.tasks[work.unit.task_index].key)
        kept_count, requested, kept_total = {}, 0, 0
        for (problem, samples), pairs in zip(results, work.verified):
            kept, rejected = stage.keep(samples)
            if problem.from_dataset:  # a difficulty a `difficulty` split can read: the first teacher's misses
                rate = samples[0].trace.meta["pass_rate"] if samples else None
                problem.knobs.setdefault("teacher_fail_rate", round(1 - (rate or 0.0), 6))
            pairs.extend((s.trace, s.verdict) for s in kept)
            kept_count[problem.id] = sum(not s.failed for s in kept)
            requested += len(samples)
            kept_total += len(kept)
            for sample, why in rejected:
                work.drops.append({"id": record_id(sample.trace), "stage": "teacher", "reason": why})
        stats = outcome_counts(results, kept_count) | {"source": stage.source, "client": client}
        stats["samples"]["kept"] = kept_total
        stats["samples"]["rejected"] = stats["samples"]["requested"] - stats["samples"]["kept"]
        work.stats["traces"] += requested
        work.extra_stats.setdefault("teacher", []).append(stats)


def _teacher_steps(config: PipelineConfig, workers: int) -> list[TeacherStep]:
    return [TeacherStep(config, spec, workers) for spec in config.traces if spec.source == "teacher"]


register("teacher", _teacher_steps)
