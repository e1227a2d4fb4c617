"""The task registry: families by name (`cotsynth.tasks.get("arith")`, `cotsynth.tasks.names()`)."""

from __future__ import annotations

from cotsynth.tasks.base import Generated, Problem, TaskFamily

_REGISTRY: dict[str, TaskFamily] = {}


def register(cls: type[TaskFamily]) -> type[TaskFamily]:
    """Class decorator: make a family available by its `name`."""
    if cls.name in _REGISTRY:
        raise ValueError(f"task family {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls()
    return cls


def get(family: str) -> TaskFamily:
    try:
        return _REGISTRY[family]
    except KeyError:
        raise KeyError(f"unknown task family {family!r}; known: {names()}") from None


def names() -> list[str]:
    return sorted(_REGISTRY)


def _discover() -> None:
    """Import every module of `cotsynth.tasks.families`: each registers its family."""
    import importlib
    import pkgutil

    from cotsynth.tasks import families

    for module in sorted(m.name for m in pkgutil.iter_modules(families.__path__)):
        importlib.import_module(f"{families.__name__}.{module}")


_discover()

__all__ = ["Generated", "Problem", "TaskFamily", "get", "names", "register"]
