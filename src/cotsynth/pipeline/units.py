"""Work units: fixed slices of each task's problem indices.

Unit boundaries depend only on the config (never on the worker count), so a resumed run finds the
same units, and the output, read back in unit order, is the same however the units were scheduled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

UNIT_PROBLEMS = 250


@dataclass(frozen=True, order=True)
class WorkUnit:
    task_index: int
    start: int
    stop: int

    @property
    def key(self) -> str:
        return f"t{self.task_index:03d}-{self.start:09d}"

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def plan_units(counts: list[int], unit_problems: int = UNIT_PROBLEMS) -> list[WorkUnit]:
    """Units covering `range(count)` of every task, in task then index order."""
    return [
        WorkUnit(task_index, start, min(start + unit_problems, count))
        for task_index, count in enumerate(counts)
        for start in range(0, count, unit_problems)
    ]
