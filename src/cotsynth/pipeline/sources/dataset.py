"""The dataset source: a task with `dataset:` reads its problems from rows someone already has
(`cotsynth.sources.dataset`); a row that cannot be a problem comes out as a `RowDrop`."""

from __future__ import annotations

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.sources.registry import register
from cotsynth.sources.dataset import RowDrop, dataset_problems
from cotsynth.tasks.base import Problem


class DatasetSource:
    def __init__(self, config: PipelineConfig, task_index: int):
        self.spec, self.base_dir = config.tasks[task_index], config.base_dir

    def problems(self, start: int, stop: int) -> list[Problem | RowDrop]:
        return dataset_problems(self.spec.key, self.spec.dataset, self.base_dir, self.spec.count, start, stop)


register("dataset", lambda spec: spec.dataset is not None, DatasetSource)
