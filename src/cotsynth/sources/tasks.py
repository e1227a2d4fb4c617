"""A config's tasks as problem sources: a family builds its problems, a dataset task reads its rows.

The one place that knows both kinds, so the pipeline, teacher-sim and the CLI count and build the
same problems for the same config. (`config` is a PipelineConfig; not imported, as config.py sits
above this package.)
"""

from __future__ import annotations

from typing import Any

from cotsynth import tasks
from cotsynth.sources.dataset import RowDrop, dataset_problems, row_count
from cotsynth.tasks.base import Problem


def task_counts(config: Any, limit: int | None = None) -> list[int]:
    """Problems per task: a family's `count`; a dataset's rows (its first `count`), at most `limit`."""
    out = []
    for spec in config.tasks:
        if spec.dataset is not None:
            out.append(row_count(spec.dataset, config.base_dir, spec.count, limit))
        else:
            out.append(min(spec.count, limit) if limit else spec.count)
    return out


def task_problems(config: Any, task_index: int, start: int, stop: int) -> list[Problem | RowDrop]:
    """Problems [start, stop) of one task; a dataset row that cannot be a problem is a RowDrop."""
    spec = config.tasks[task_index]
    if spec.dataset is not None:
        return dataset_problems(spec.key, spec.dataset, config.base_dir, spec.count, start, stop)
    family = tasks.get(spec.family)
    settings, templates = config.knob_settings(task_index), family.templates(spec.templates)
    return [family.build(config.seed, spec.key, index, settings, templates) for index in range(start, stop)]
