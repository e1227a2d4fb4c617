"""Families users write themselves: a YAML file of typed variables, constraints and a solution
program (GSM-Symbolic style), turned into a `TaskFamily` whose problems carry a step graph.

docs/families.md is the format reference. Errors are `FamilyFileError("<key>: <reason>")`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cotsynth.tasks.declarative.family import DeclarativeFamily
from cotsynth.tasks.declarative.spec import FamilyFileError, parse_spec, read_document

SUFFIXES = (".yaml", ".yml")


def family_from_document(document: dict[str, Any], origin: str, probe: bool = True) -> DeclarativeFamily:
    """The family a loaded document defines, checked statically and (with `probe`) by drawing problems."""
    family = DeclarativeFamily(parse_spec(document), origin)
    if probe:
        family.check_draws()
    return family


def load_family(path: str | Path, origin: str | None = None, probe: bool = True) -> DeclarativeFamily:
    path = Path(path)
    return family_from_document(read_document(path), origin or f"file {path}", probe)


def is_family_file(reference: str) -> bool:
    """Whether a pipeline's `family:` names a file rather than a registered family."""
    return reference.endswith(SUFFIXES)


def family_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


__all__ = ["DeclarativeFamily", "FamilyFileError", "family_files", "family_from_document", "is_family_file",
           "load_family"]
