"""Error-injected negatives (`negatives: N` on a symbolic trace entry, traces/negatives.py): per
problem and style, up to N fine traces with one injected error, added after the verified symbolic
traces with their verdict known by construction (unverified, labels False from the error on)."""

from __future__ import annotations

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.traces.negatives import negative_traces, negative_verdict


class InjectNegatives:
    name = "negatives"
    needs = Needs()

    def __init__(self, config: PipelineConfig, asked: list[list[tuple[str, int]]]):
        self.seed = config.seed
        self.asked = asked  # per task: (style, count)

    def run(self, work: UnitWork) -> None:
        asked = self.asked[work.unit.task_index]
        for problem, pairs in zip(work.problems, work.verified):
            for style, count in asked:
                negatives = negative_traces(problem, style, count, self.seed)
                pairs.extend((trace, negative_verdict(trace)) for trace in negatives)
                work.stats["traces"] += len(negatives)


def _negatives(config: PipelineConfig, workers: int) -> list[InjectNegatives]:
    asked = []
    for i in range(len(config.tasks)):
        specs = [spec for spec in config.traces_for(i) if spec.source == "symbolic" and spec.negatives]
        asked.append(list(dict.fromkeys((style, spec.negatives) for spec in specs for style in spec.style)))
    return [InjectNegatives(config, asked)] if any(asked) else []


register("negatives", _negatives, after="verify")
