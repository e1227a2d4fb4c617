"""A family file read and checked in full: every mistake is one `FamilyFileError` naming its key.

The checks are static (names defined before use, known functions, template variables, numbers where
numbers are needed) and one dynamic: a probe draws problems so that unsatisfiable constraints, an
answer that is never an integer, or step wording that does not state its value fail at load time
with the key to fix, not in the middle of a run.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, meta

from cotsynth.templating import environment
from cotsynth.tasks.declarative.expr import FUNCTIONS, Expr, ExprError, exact, parse
from cotsynth.tasks.declarative.value_types import BOOL, NUMBER, TEXT, infer
from cotsynth.tasks.declarative.sampler import KINDS, NAME_LISTS, Variable

TOP_KEYS = ("name", "description", "variables", "constraints", "steps", "answer", "answer_type", "units",
            "questions", "step_text", "integer_steps", "max_tries")
RESERVED = {*FUNCTIONS, "Fraction", "Decimal", "print", "math", "answer"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DECIMAL_TYPE = re.compile(r"^decimal\((\d)\)$")
ANSWER_TYPES = "integer, rational, decimal(places) or text"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: 10x faster, same result
ENV = environment(autoescape=False, keep_trailing_newline=False)  # sandboxed: a family file is untrusted text


class FamilyFileError(ValueError):
    """`<key>: <reason>`: what to fix in a family file."""


@dataclass(frozen=True)
class FamilySpec:
    name: str
    description: str
    variables: dict[str, Variable]
    constraints: tuple[tuple[str, Expr], ...]  # (source, parsed)
    steps: dict[str, Expr]  # in program order
    types: dict[str, str]  # every variable's and step's type: NUMBER or TEXT
    answer: str
    answer_type: str  # integer | rational | decimal | text
    places: int  # decimal places of a `decimal(p)` answer
    units: dict[str, str]
    questions: tuple[tuple[str, str], ...]  # (id, jinja source)
    step_text: dict[str, str]
    integer_steps: bool
    max_tries: int
    document: dict[str, Any] = field(compare=False)  # the file as loaded: what a pipeline's hash covers


def read_document(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as err:
        raise FamilyFileError(f"cannot read ({err.strerror})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FamilyFileError(f"(file): invalid YAML{where}: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, dict):
        raise FamilyFileError(f"(top level): expected a mapping of family keys, got {type(data).__name__}")
    return data


def parse_spec(data: dict[str, Any]) -> FamilySpec:
    """The checked spec of a loaded document (statically; the sampling probe is `family.check_draws`)."""
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise FamilyFileError(f"{unknown[0]}: unknown key; a family file has {', '.join(TOP_KEYS)}")
    for key in ("name", "variables", "steps", "answer", "questions"):
        if key not in data:
            raise FamilyFileError(f"{key}: missing (required)")
    name = data["name"]
    if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise FamilyFileError(f"name: expected a lower-case identifier such as shopping_change, got {name!r}")
    variables = _variables(_mapping(data, "variables"))
    types = {n: NUMBER if v.numeric else TEXT for n, v in variables.items()}
    steps = _steps(_mapping(data, "steps"), types)
    known = set(variables) | set(steps)
    constraints = _constraints(data.get("constraints") or [], types)
    answer = data["answer"]
    if answer not in steps:
        raise FamilyFileError(f"answer: {answer!r} is not a step; answer names the step whose value is the answer")
    answer_type, places = _answer_type(data.get("answer_type", "integer"))
    if (answer_type == "text") != (types[answer] == TEXT):
        raise FamilyFileError(f"answer_type: {answer_type} does not fit step {answer!r}, which is a {types[answer]}"
                              + (" (text(x) writes a number as text)" if answer_type == "text" else
                                 " (use answer_type: text)"))
    units = data.get("units") or {}
    if not isinstance(units, dict) or not all(isinstance(v, str) for v in units.values()):
        raise FamilyFileError("units: expected a mapping of step names to unit words")
    for key in units:
        if key not in steps:
            raise FamilyFileError(f"units.{key}: not a step")
        if types[key] == TEXT:
            raise FamilyFileError(f"units.{key}: a text step takes no unit (its wording ends in its value)")
    questions = _questions(data["questions"], known, name)
    step_text = data.get("step_text") or {}
    if not isinstance(step_text, dict):
        raise FamilyFileError("step_text: expected a mapping of step names to jinja templates")
    order = list(steps)
    for key, source in step_text.items():
        if key not in steps:
            raise FamilyFileError(f"step_text.{key}: not a step")
        visible = set(variables) | set(order[: order.index(key) + 1])
        _check_template(f"step_text.{key}", source, visible, later=set(order[order.index(key) + 1:]))
    integer_steps = data.get("integer_steps", answer_type == "integer")
    max_tries = data.get("max_tries", 1000)
    if not isinstance(integer_steps, bool):
        raise FamilyFileError(f"integer_steps: expected true or false, got {integer_steps!r}")
    if isinstance(max_tries, bool) or not isinstance(max_tries, int) or not 1 <= max_tries <= 100_000:
        raise FamilyFileError(f"max_tries: expected an integer in [1, 100000], got {max_tries!r}")
    description = data.get("description", name)
    return FamilySpec(name, str(description), variables, constraints, steps, types, answer, answer_type, places,
                      dict(units), questions, dict(step_text), integer_steps, max_tries, data)


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data[key]
    if not isinstance(value, dict) or not value:
        raise FamilyFileError(f"{key}: expected a non-empty mapping, got {type(value).__name__}")
    return value


def _identifier(key: str, name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name) or name in RESERVED:
        raise FamilyFileError(f"{key}: {name!r} is not a usable name (a letter then letters, digits or _; "
                              f"not a keyword nor one of {', '.join(sorted(RESERVED))})")
    return name


def _expression(key: str, source: Any, types: dict[str, str], want: str | None = None,
                later: set[str] = frozenset(), self_name: str | None = None) -> tuple[Expr, str]:
    """The parsed expression and its type; `want` (NUMBER or BOOL) is the type the key needs."""
    try:
        expr = parse(source)
    except ExprError as err:
        raise FamilyFileError(f"{key}: {err}") from None
    for used in sorted(expr.names()):
        if used == self_name:
            raise FamilyFileError(f"{key}: cyclic reference: {used!r} uses itself")
        if used in later:
            raise FamilyFileError(f"{key}: forward reference to step {used!r}, which comes later")
        if used not in types:
            raise FamilyFileError(f"{key}: undefined variable {used!r}")
    if want == NUMBER and expr.kind == "name" and types[expr.name] == TEXT:
        raise FamilyFileError(f"{key}: {expr.name!r} is text, not a number")
    try:
        found = infer(expr, types)
    except ExprError as err:
        raise FamilyFileError(f"{key}: {err}") from None
    if want == BOOL and found != BOOL:
        raise FamilyFileError(f"{key}: {source!r} is not a condition (use < <= > >= == != and or not)")
    if want != BOOL and found == BOOL:
        raise FamilyFileError(f"{key}: a condition is not a number (conditions belong in constraints)")
    if want == NUMBER and found == TEXT:
        raise FamilyFileError(f"{key}: expected a number, got text")
    return expr, found


def _variables(raw: dict[str, Any]) -> dict[str, Variable]:
    variables: dict[str, Variable] = {}
    for name, spec in raw.items():
        key = f"variables.{name}"
        _identifier(key, name)
        if not isinstance(spec, dict):
            raise FamilyFileError(f"{key}: expected a mapping such as {{int: [1, 10]}}, got {spec!r}")
        kinds = [k for k in spec if k in KINDS]
        if len(kinds) != 1:
            raise FamilyFileError(f"{key}: give exactly one of {', '.join(KINDS)}")
        kind = kinds[0]
        extra = sorted(set(spec) - {kind, *_OPTIONS[kind]})
        if extra:
            raise FamilyFileError(f"{key}.{extra[0]}: unknown option for a {kind} variable")
        types = {n: NUMBER if v.numeric else TEXT for n, v in variables.items()}
        variables[name] = _variable(key, name, kind, spec, types)
    return variables


_OPTIONS = {"names": (), "choice": (), "int": ("step",), "decimal": ("places",), "fraction": ("denominator",)}


def _variable(key: str, name: str, kind: str, spec: dict[str, Any], types: dict[str, str]) -> Variable:
    value = spec[kind]
    if kind == "names":
        if value not in NAME_LISTS:
            raise FamilyFileError(f"{key}.names: unknown name list {value!r}; known: {', '.join(NAME_LISTS)}")
        return Variable(name, kind, (value,))
    if kind == "choice":
        if not isinstance(value, list) or not value:
            raise FamilyFileError(f"{key}.choice: expected a non-empty list")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return Variable(name, kind, tuple(exact(Fraction(repr(v))) for v in value))
        return Variable(name, kind, tuple(str(v) for v in value))
    if not isinstance(value, list) or len(value) != 2:
        raise FamilyFileError(f"{key}.{kind}: expected [low, high] (numbers or expressions over earlier variables)")
    low, high = (_expression(f"{key}.{kind}", bound, types, NUMBER)[0] for bound in value)
    if kind == "int":
        step = spec.get("step", 1)
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise FamilyFileError(f"{key}.step: expected a positive integer, got {step!r}")
        return Variable(name, kind, low=low, high=high, step=Fraction(step))
    if kind == "decimal":
        places = spec.get("places", 1)
        if isinstance(places, bool) or not isinstance(places, int) or not 1 <= places <= 6:
            raise FamilyFileError(f"{key}.places: expected an integer in [1, 6], got {places!r}")
        return Variable(name, kind, low=low, high=high, step=Fraction(1, 10**places))
    denominators = spec.get("denominator", [2, 10])
    if isinstance(denominators, int) and not isinstance(denominators, bool):
        denominators = [denominators, denominators]
    if (not isinstance(denominators, list) or len(denominators) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in denominators)
            or denominators[0] > denominators[1]):
        raise FamilyFileError(f"{key}.denominator: expected a positive integer or a [low, high] range")
    return Variable(name, kind, low=low, high=high, denominators=(denominators[0], denominators[1]))


def _steps(raw: dict[str, Any], types: dict[str, str]) -> dict[str, Expr]:
    """The steps in order; each step's type joins `types`."""
    steps: dict[str, Expr] = {}
    order = list(raw)
    for position, (name, source) in enumerate(raw.items()):
        key = f"steps.{name}"
        _identifier(key, name)
        if name in types:
            raise FamilyFileError(f"{key}: {name!r} is already a variable")
        steps[name], types[name] = _expression(key, source, types, later=set(order[position + 1:]), self_name=name)
    return steps


def _constraints(raw: Any, types: dict[str, str]) -> tuple[tuple[str, Expr], ...]:
    if not isinstance(raw, list):
        raise FamilyFileError("constraints: expected a list of conditions")
    return tuple((str(source), _expression(f"constraints[{k}]", source, types, BOOL)[0])
                 for k, source in enumerate(raw))


def _answer_type(value: Any) -> tuple[str, int]:
    if value in ("integer", "rational", "text"):
        return value, 0
    match = _DECIMAL_TYPE.match(str(value))
    if match:
        return "decimal", int(match.group(1))
    raise FamilyFileError(f"answer_type: expected {ANSWER_TYPES}, got {value!r}")


def _questions(raw: Any, known: set[str], family: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise FamilyFileError("questions: expected a non-empty list of jinja templates")
    found = []
    for k, item in enumerate(raw):
        key = f"questions[{k}]"
        if isinstance(item, dict) and set(item) == {"id", "text"}:
            ident, source = str(item["id"]), item["text"]
        elif isinstance(item, str):
            ident, source = f"q{k + 1}", item
        else:
            raise FamilyFileError(f"{key}: expected a template string or {{id: ..., text: ...}}")
        if not re.match(r"^[A-Za-z0-9_-]+$", ident):
            raise FamilyFileError(f"{key}.id: {ident!r} is not a usable template id (letters, digits, _ and -)")
        _check_template(key, source, known)
        found.append((f"{family}/{ident}", source))
    ids = [i for i, _ in found]
    if len(set(ids)) != len(ids):
        raise FamilyFileError(f"questions: template id {next(i for i in ids if ids.count(i) > 1)!r} is used twice")
    return tuple(found)


def _check_template(key: str, source: Any, known: set[str], later: set[str] = frozenset()) -> None:
    if not isinstance(source, str) or not source.strip():
        raise FamilyFileError(f"{key}: expected a non-empty jinja template string")
    try:
        used = meta.find_undeclared_variables(ENV.parse(source))
    except TemplateSyntaxError as err:
        raise FamilyFileError(f"{key}: template syntax error at line {err.lineno}: {err.message}") from None
    for name in sorted(used):
        if name in later:
            raise FamilyFileError(f"{key}: template uses {name!r}, a step computed later")
        if name not in known:
            raise FamilyFileError(f"{key}: template uses unknown variable {name!r}")
