"""The first step: the unit's problems, from its task's source (a family generator by default)."""

from __future__ import annotations

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.sources import ProblemSource, source_for
from cotsynth.pipeline.steps.registry import register
from cotsynth.sources.dataset import RowDrop


class GenerateProblems:
    name = "generate"
    needs = Needs()

    def __init__(self, config: PipelineConfig):
        self.config = config
        self._sources: dict[int, ProblemSource] = {}

    def run(self, work: UnitWork) -> None:
        task = work.unit.task_index
        if task not in self._sources:
            self._sources[task] = source_for(self.config, task)
        for problem in self._sources[task].problems(work.unit.start, work.unit.stop):
            if isinstance(problem, RowDrop):  # a dataset row that cannot be a problem: dropped with why
                work.drops.append({"id": problem.id, "stage": "dataset", "reason": problem.reason})
            else:
                work.problems.append(problem)
        work.stats["problems"] += len(work.problems)


register("generate", lambda config, workers: [GenerateProblems(config)])
