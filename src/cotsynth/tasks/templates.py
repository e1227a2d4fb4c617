"""Question templates: jinja2 files kept as data beside the code (templates/questions/<family>/).

Each file is one phrasing; its id is `<family>/<file stem>` and a leading `{# ... #}` comment may hold
YAML metadata (name, tags). Recording the id on every record lets a split hold phrasings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2
import yaml

from cotsynth.resources import resource_dir

_META = re.compile(r"\A\{#(.*?)#\}\s*", re.S)


@dataclass(frozen=True)
class QuestionTemplate:
    id: str
    name: str
    source: str
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def render(self, **variables: Any) -> str:
        return _compile(self.source).render(**variables).strip()


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


@lru_cache(maxsize=None)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


@lru_cache(maxsize=None)
def question_templates(family: str) -> tuple[QuestionTemplate, ...]:
    """All templates of a family, sorted by id so that a draw by index is deterministic."""
    folder = resource_dir("templates") / "questions" / family
    found = []
    for path in sorted(folder.glob("*.j2")):
        text = path.read_text(encoding="utf-8")
        meta: dict[str, Any] = {}
        match = _META.match(text)
        if match:
            meta = yaml.safe_load(match.group(1).strip()) or {}
            text = text[match.end():]
        found.append(
            QuestionTemplate(id=f"{family}/{path.stem}", name=meta.get("name", path.stem), source=text, meta=meta)
        )
    if not found:
        raise FileNotFoundError(f"no question templates for family {family!r} under {folder}")
    return tuple(found)
