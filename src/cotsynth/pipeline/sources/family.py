"""The default source: a registered task family's generator, at the config's knob settings."""

from __future__ import annotations

from cotsynth import tasks
from cotsynth.config import PipelineConfig
from cotsynth.pipeline.sources.registry import register
from cotsynth.tasks.base import Problem


class FamilySource:
    def __init__(self, config: PipelineConfig, task_index: int):
        spec = config.tasks[task_index]
        self.seed, self.key = config.seed, spec.key
        self.family = tasks.get(spec.family)
        self.settings = config.knob_settings(task_index)
        self.templates = self.family.templates(spec.templates)

    def problems(self, start: int, stop: int) -> list[Problem]:
        return [self.family.build(self.seed, self.key, i, self.settings, self.templates) for i in range(start, stop)]


register("family", lambda spec: True, FamilySource, default=True)
