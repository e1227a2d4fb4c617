"""The source registry: which source serves a task spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from cotsynth.config import PipelineConfig
from cotsynth.tasks.base import Problem


class ProblemSource(Protocol):
    def problems(self, start: int, stop: int) -> list[Problem]: ...


Claim = Callable[[Any], bool]  # (task spec) -> this source serves it
Builder = Callable[[PipelineConfig, int], ProblemSource]  # (config, task index) -> the task's source

_SOURCES: list[tuple[str, Claim, Builder]] = []
_DEFAULT: list[Builder] = []


def register(name: str, claims: Claim, build: Builder, default: bool = False) -> None:
    """A source for the task specs it claims (the default serves every spec no other claims)."""
    if default:
        _DEFAULT.append(build)
    else:
        _SOURCES.append((name, claims, build))


def source_for(config: PipelineConfig, task_index: int) -> ProblemSource:
    spec = config.tasks[task_index]
    for _name, claims, build in _SOURCES:
        if claims(spec):
            return build(config, task_index)
    return _DEFAULT[0](config, task_index)

