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
from jinja2.utils import concat

from cotsynth.resources import resource_dir
from cotsynth.templating import environment

_META = re.compile(r"\A\{#(.*?)#\}\s*", re.S)


@dataclass(frozen=True)
class QuestionTemplate:
    id: str
    name: str
    source: str
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def render(self, **variables: Any) -> str:
        return render_text(self.source, variables)


_ENV = environment(keep_trailing_newline=False, autoescape=False)


def render_text(source: str, variables: dict[str, Any], environment: jinja2.Environment = _ENV) -> str:
    """What `jinja2.Template.render` does, but from a flat copy of jinja's globals made once per
    template: `render` re-flattens their ChainMap on every call, most of the cost of a question.
    (A sandboxed environment keeps its checks: they are compiled into the template's code.)"""
    template, flat_globals = _compile(source, environment)
    try:
        return concat(template.root_render_func(template.new_context(flat_globals | variables, shared=True))).strip()
    except Exception:
        template.environment.handle_exception()


@lru_cache(maxsize=None)
def _compile(source: str, environment: jinja2.Environment) -> tuple[jinja2.Template, dict[str, Any]]:
    template = environment.from_string(source)
    return template, dict(template.globals)


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
