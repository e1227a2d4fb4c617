"""The task registry: families by name (`cotsynth.tasks.get("arith")`, `cotsynth.tasks.names()`).

Three sources fill it: the modules of `cotsynth.tasks.families` (built-in), the family files shipped
in templates/families/, and plugins: entry points of the group `cotsynth.families` whose object is a
`TaskFamily` subclass or instance, or the path of a family file. A pipeline's own family files are
added when its config is loaded (`add`).
"""

from __future__ import annotations

import warnings
from importlib import metadata
from pathlib import Path

from cotsynth.tasks.base import Generated, Problem, TaskFamily

PLUGIN_GROUP = "cotsynth.families"

_REGISTRY: dict[str, TaskFamily] = {}


def register(cls: type[TaskFamily]) -> type[TaskFamily]:
    """Class decorator: make a family available by its `name`."""
    if cls.name in _REGISTRY:
        raise ValueError(f"task family {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls()
    return cls


def add(family: TaskFamily) -> None:
    """Register a family instance (a family file, a plugin). A name may be defined again only by a
    family file of a pipeline; a built-in, shipped or plugin family keeps its name."""
    from cotsynth.tasks.declarative import DeclarativeFamily

    existing = _REGISTRY.get(family.name)
    if existing is not None and existing is not family:
        same = isinstance(existing, DeclarativeFamily) and isinstance(family, DeclarativeFamily) and (
            existing.spec.document == family.spec.document)
        replaceable = isinstance(existing, DeclarativeFamily) and not origin(family.name).startswith(("shipped", "plugin"))
        if same:
            return
        if not replaceable:
            raise ValueError(f"name: {family.name!r} is already a {origin(family.name)} family; choose another name")
    _REGISTRY[family.name] = family


def origin(family: str) -> str:
    """Where a family comes from: `built-in`, `shipped <file>`, `plugin <distribution>`, `file <path>`."""
    return getattr(_REGISTRY[family], "origin", "built-in")


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
    _shipped()
    load_plugins()


def _shipped() -> None:
    """The family files in templates/families/: trusted and tested, so not probed on every import."""
    from cotsynth.resources import resource_dir
    from cotsynth.tasks.declarative import family_files, load_family

    folder = resource_dir("templates") / "families"
    for path in family_files(folder) if folder.is_dir() else []:
        family = load_family(path, origin=f"shipped {path.name}", probe=False)
        _REGISTRY[family.name] = family


def load_plugins() -> list[str]:
    """Register the families of installed plugins; a broken plugin is skipped with a warning. Returns
    the names added (a plugin already registered is left as it is)."""
    from cotsynth.tasks.declarative import load_family

    added = []
    for entry in metadata.entry_points(group=PLUGIN_GROUP):
        where = f"plugin {entry.dist.name if entry.dist else entry.value}"
        try:
            found = entry.load()
            if isinstance(found, (str, Path)):
                family = load_family(found, origin=where)
            else:
                family = found() if isinstance(found, type) and issubclass(found, TaskFamily) else found
                if not isinstance(family, TaskFamily):
                    raise TypeError(f"{entry.value} is not a TaskFamily, a TaskFamily subclass nor a family file")
                if not getattr(family, "origin", None):
                    family.origin = where
            if family.name in _REGISTRY:
                continue
            _REGISTRY[family.name] = family
            added.append(family.name)
        except Exception as err:  # a plugin's bug must not break every command
            warnings.warn(f"cotsynth: skipping family plugin {entry.name!r} ({where}): {err}", stacklevel=2)
    return added


_discover()

__all__ = ["Generated", "Problem", "TaskFamily", "add", "get", "load_plugins", "names", "origin", "register"]
