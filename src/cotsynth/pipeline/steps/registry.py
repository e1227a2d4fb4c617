"""The step registry: kinds of step in data-flow order, and the chain a config asks for."""

from __future__ import annotations

from collections.abc import Callable

from cotsynth.config import PipelineConfig
from cotsynth.pipeline.chain import Step, StepChain

StepFactory = Callable[[PipelineConfig, int], list[Step]]

_KINDS: list[tuple[str, StepFactory]] = []


def register(name: str, factory: StepFactory, after: str | None = None) -> None:
    """Add a kind of step at the end of the chain, or right after the kind named `after`."""
    position = len(_KINDS) if after is None else [n for n, _ in _KINDS].index(after) + 1
    _KINDS.insert(position, (name, factory))


def kinds() -> list[str]:
    return [name for name, _ in _KINDS]


def build_steps(config: PipelineConfig, workers: int = 1) -> list[Step]:
    return [step for _, factory in _KINDS for step in factory(config, workers)]


def build_chain(config: PipelineConfig, workers: int = 1) -> StepChain:
    """The chain a worker runs (an executor calls this once per worker, knowing how many share the run)."""
    return StepChain(build_steps(config, workers))

