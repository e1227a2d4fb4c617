"""Symbolic traces: every configured (granularity, style) of each problem, in config order (a task
with its own `traces` uses them instead of the pipeline's)."""

from __future__ import annotations

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.traces.symbolic import render


class RenderSymbolicTraces:
    name = "traces"
    needs = Needs()

    def __init__(self, config: PipelineConfig):
        self.variants = []  # per task
        for i in range(len(config.tasks)):
            specs = [spec for spec in config.traces_for(i) if spec.source == "symbolic"]
            variants = [(g, s) for spec in specs for g in spec.granularity for s in spec.style]
            # `answer` traces carry no steps, so one style is enough.
            self.variants.append(list(dict.fromkeys((g, "steps" if g == "answer" else s) for g, s in variants)))

    def run(self, work: UnitWork) -> None:
        variants = self.variants[work.unit.task_index]
        work.rendered = [[render(problem, g, s) for g, s in variants] for problem in work.problems]
        work.stats["traces"] += sum(len(traces) for traces in work.rendered)


register("render", lambda config, workers: [RenderSymbolicTraces(config)])
