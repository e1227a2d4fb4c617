"""Symbolic traces: a problem's step graph rendered as CoT at a granularity, in a style.

`fine` states one step per graph node, `coarse` one per subgoal, `answer` none. The style (a jinja2
file under templates/cot/) only words the steps; every step keeps the graph nodes it states, which
is what verification checks and what PRM labels point at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes

from cotsynth.resources import resource_dir
from cotsynth.tasks.base import Problem


@dataclass(frozen=True)
class Step:
    claim: str  # the checkable statement, e.g. "12 + 21 = 33"
    question: str  # the same step as a sub-question
    output: str  # the value the step produces
    nodes: tuple[str, ...]  # the graph nodes it states


@dataclass
class Trace:
    problem: Problem
    granularity: str
    style: str
    source: str
    sample_index: int
    steps: list[Step]  # the structured steps (symbolic) or [] when unknown (free text)
    cot_steps: list[str]  # the steps as worded in the CoT
    cot: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Style:
    preamble: Callable[[list[Step]], str]
    step: Callable[[int, Step], str]


@lru_cache(maxsize=None)
def _style(style: str) -> _Style:
    folder = resource_dir("templates") / "cot"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined)
    module = env.get_template(f"{style}.j2").module
    macros = {m.name: m for m in env.parse(env.loader.get_source(env, f"{style}.j2")[0]).find_all(nodes.Macro)}
    return _Style(*(_as_format(macros[name]) or _called(getattr(module, name)) for name in ("preamble", "step")))


def _called(macro: Any) -> Callable[..., str]:
    return lambda *args: str(macro(*args))


_STEP_FIELDS = {f.name for f in fields(Step)}


def _as_format(macro: nodes.Macro) -> Callable[..., str] | None:
    """A macro that only places its arguments, or fields of a step, in literal text, as the equivalent
    `str.format` (a jinja macro call costs microseconds, and a fine trace calls it once per step);
    None for anything else (filters, tests, loops), which stays a jinja call."""
    names = [arg.name for arg in macro.args]
    if macro.defaults:
        return None
    pattern = []
    for output in macro.body:
        if not isinstance(output, nodes.Output):
            return None
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                pattern.append(node.data.replace("{", "{{").replace("}", "}}"))
            elif isinstance(node, nodes.Name) and node.name in names:
                pattern.append(f"{{{names.index(node.name)}}}")
            elif (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name in names
                  and node.attr in _STEP_FIELDS):
                pattern.append(f"{{{names.index(node.node.name)}.{node.attr}}}")
            else:
                return None
    return "".join(pattern).format


def structured_steps(problem: Problem, granularity: str) -> list[Step]:
    graph = problem.graph
    if granularity == "fine":
        return [Step(n.text, n.question, n.output, (n.id,)) for n in graph.nodes]
    if granularity == "coarse":
        return [Step(s.text, s.question, s.output, s.node_ids) for s in graph.subgoals]
    if granularity == "answer":
        return []
    raise ValueError(f"no symbolic rendering for granularity {granularity!r}")


def render(problem: Problem, granularity: str, style: str) -> Trace:
    """The symbolic trace of a problem; `code` renders the family's program."""
    if granularity == "code":
        program = problem.program or ""
        return Trace(problem, granularity, style, "symbolic", 0, [], [program] if program else [], program)
    steps = structured_steps(problem, granularity)
    wording = _style(style)
    worded = [wording.step(n, s).strip() for n, s in enumerate(steps, start=1)]
    preamble = wording.preamble(steps).strip() if steps else ""
    cot = "\n".join(([preamble] if preamble else []) + worded)
    return Trace(problem, granularity, style, "symbolic", 0, steps, worded, cot)
