"""Where shipped data lives: inside the installed package, or at the top of a source checkout.

A wheel carries templates/, pipelines/ and data/ under `cotsynth/_resources/` (pyproject's
force-include); an editable install or a checkout reads them from the repository root.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def resource_dir(name: str) -> Path:
    """The folder `templates`, `pipelines` or `data`, wherever this install keeps it."""
    for candidate in (_PACKAGE / "_resources" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cotsynth resource folder {name!r} not found (looked beside {_PACKAGE})")


def find_pipeline(name_or_path: str) -> Path:
    """A pipeline YAML by path, or by the name of a shipped pipeline (`quickstart`)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = resource_dir("pipelines") / (path.name if path.suffix else f"{path.name}.yaml")
    if shipped.is_file():
        return shipped
    raise FileNotFoundError(f"no pipeline file {name_or_path!r} (nor a shipped pipeline of that name)")


def find_template(name: str) -> Path:
    """A teacher prompt template: `default` → templates/teacher/default.j2; otherwise a file name there, or a path."""
    folder = resource_dir("templates") / "teacher"
    for candidate in (folder / f"{name}.j2", folder / name, Path(name)):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no teacher prompt template {name!r} (looked in {folder} and as a path)")
