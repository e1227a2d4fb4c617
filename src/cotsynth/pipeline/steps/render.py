"""Symbolic traces: every configured (granularity, style) of each problem, in config order."""

from __future__ import annotations

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.traces.symbolic import render


class RenderSymbolicTraces:
    name = "traces"
    needs = Needs()

    def __init__(self, config: PipelineConfig):
        variants = [(g, s) for spec in config.traces if spec.source == "symbolic" for g in spec.granularity for s in spec.style]
        # `answer` traces carry no steps, so one style is enough.
        self.variants = list(dict.fromkeys((g, "steps" if g == "answer" else s) for g, s in variants))

    def run(self, work: UnitWork) -> None:
        work.rendered = [[render(problem, g, s) for g, s in self.variants] for problem in work.problems]
        work.stats["traces"] += sum(len(traces) for traces in work.rendered)


register("render", lambda config, workers: [RenderSymbolicTraces(config)])
