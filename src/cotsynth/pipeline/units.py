"""Work units: fixed slices of each task's problem indices.

Unit boundaries depend only on the config (never on the worker count), so a resumed run finds the
same units, and the output, read back in unit order, is the same however the units were scheduled.
A unit is 1,000 problems (a fraction of a second to a few seconds of work: the per-unit cost of
scheduling and part files stays small) unless the task is small enough that this would leave workers
idle; then about 32 units of at least 100.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

UNIT_PROBLEMS = 1000
MIN_UNIT_PROBLEMS = 100
UNITS_PER_SMALL_TASK = 32


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


def unit_size(count: int) -> int:
    return min(UNIT_PROBLEMS, max(MIN_UNIT_PROBLEMS, -(-count // UNITS_PER_SMALL_TASK)))


def plan_units(counts: list[int]) -> list[WorkUnit]:
    """Units covering `range(count)` of every task, in task then index order."""
    units = []
    for task_index, count in enumerate(counts):
        size = unit_size(count)
        units += [WorkUnit(task_index, start, min(start + size, count)) for start in range(0, count, size)]
    return units
