"""A pipeline's family files: loaded, checked and registered when its config is parsed.

Three ways in: `tasks[i].family` as a path (relative to the pipeline file), every file under
`families_dir:`, and documents inline under `families:`. Afterwards each task names its family by
`name`, and `families:` holds the documents the tasks use: the canonical config carries them, so its
hash covers their content and a Ray actor rebuilds them from the config alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cotsynth import tasks
from cotsynth.tasks.declarative import (
    DeclarativeFamily,
    FamilyFileError,
    family_files,
    family_from_document,
    is_family_file,
    load_family,
)


def resolve_families(config: Any, base_dir: Path) -> list[str]:
    """Register the config's families and point its tasks at them; the problems found, one per line."""
    problems: list[str] = []
    defined: dict[str, tuple[DeclarativeFamily, str]] = {}
    loaded: dict[Path, DeclarativeFamily | None] = {}

    def define(family: DeclarativeFamily, where: str) -> None:
        earlier = defined.get(family.name)
        if earlier and earlier[0].spec.document != family.spec.document:
            problems.append(f"{where}: name: {family.name!r} is also the name of {earlier[1]}")
        else:
            defined[family.name] = (family, where)

    def from_file(path: Path, where: str) -> DeclarativeFamily | None:
        if path not in loaded:
            try:
                loaded[path] = load_family(path)
                define(loaded[path], where)
            except FamilyFileError as err:
                loaded[path] = None
                problems.append(f"{where}: {err}")
        return loaded[path]

    for name, document in config.families.items():
        if not isinstance(document, dict) or document.get("name", name) != name:
            problems.append(f"families.{name}: expected a family document whose name is {name!r}")
            continue
        try:
            define(family_from_document({"name": name, **document}, origin="inline"), f"families.{name}")
        except FamilyFileError as err:
            problems.append(f"families.{name}.{err}")
    if config.families_dir is not None:
        folder = base_dir / config.families_dir
        if not folder.is_dir():
            problems.append(f"families_dir: {folder} is not a folder")
        else:
            for path in family_files(folder):
                from_file(path.resolve(), f"families_dir: {path}")
    for i, spec in enumerate(config.tasks):
        if spec.family is not None and is_family_file(spec.family):
            path = base_dir / spec.family
            family = from_file(path.resolve(), f"tasks[{i}].family: {path}")
            if family is not None:
                spec.family = family.name
    for family, where in defined.values():
        try:
            tasks.add(family)
        except ValueError as err:
            problems.append(f"{where}: {err}")
    config.families = {spec.family: defined[spec.family][0].spec.document
                       for spec in config.tasks if spec.family in defined}
    return problems
