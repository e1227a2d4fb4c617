"""A task family defined by a file: draws the givens, runs the steps, and builds the step graph.

Each step is one graph node whose op is the step's top-level operation (`add`, `mul`, `div`, `min`,
`if`, `concat`, ...: the arithmetic families' atom names) and whose inputs are that operation's
operands: `@step` for a bare reference to an earlier step, else the operand's value. Values are
written as the CoT writes them (`35`, `2.5`, `7/3`, a text as itself), so a step's text states its
node's output verbatim. So atoms, compounds, difficulty on the number of steps and every split work
as for a built-in family. A node also keeps its step's expression and the givens it reads (`attrs`),
from which verification recomputes it; `attrs["text"]` names the ones that are text (and the node
itself, when its value is).

Everything about a step that does not depend on the draw (its wording with names, the shape of its
wording with values, its coarse group's inlined statement, the program's lines) is worked out once
when the family is built: a problem only fills in values.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from collections.abc import Callable
from functools import cached_property, lru_cache, partial
from operator import itemgetter
from typing import Any

from jinja2 import nodes as jinja_nodes

from cotsynth.core.arithmetic import format_fraction
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.base import Generated, Problem, TaskFamily
from cotsynth.tasks.declarative.expr import (
    EvalError, Expr, ExprError, apply, number, parse, render, same, show, substitute,
)
from cotsynth.tasks.declarative.space import ENUMERATE_FROM, Space, enumerate_space
from cotsynth.tasks.declarative.spec import ENV, FamilyFileError, FamilySpec
from cotsynth.tasks.declarative.value_types import TEXT
from cotsynth.tasks.templates import QuestionTemplate, render_text
from cotsynth.verify import answers_match
from cotsynth.verify.normalize import canonical_text

_FRACTION = re.compile(r"(?<![\d.)])(\d+/\d+)(?![\d.(])")
_ONE_OPERATION = re.compile(r"^(-?\d+(?:\.\d+)?)(?:\s*([-+*/])\s*(\d+(?:\.\d+)?))?$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")
_TEXT_NUMBER = re.compile(r"(?:(?<![\w)\]])-)?\d+(?:\.\d+)?(?:/\d+)?")  # a `-` after a word is a hyphen
_FUNCTION_OR_CHAR = r"(?:\b(?:min|max|abs|round|floor|ceil)\(|[0-9.()+\-*/%×÷−, ])"
_ARITH_TAIL = re.compile(_FUNCTION_OR_CHAR + r"+$")
_ARITH_HEAD = re.compile(r"^" + _FUNCTION_OR_CHAR + r"+")
_PLAIN = (("×", "*"), ("÷", "/"), ("−", "-"), ("$", ""), ("€", ""), ("£", ""))
MAX_CLAIM = 2_000
PROBE_DRAWS = 40
VERDICTS = 1 << 16  # combinations of givens whose verdict a family keeps
RECORDED_TYPES = {"integer": "integer", "rational": "rational", "decimal": "number", "text": "text"}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%", "pow": "**"}
_NUMERIC_OPS = {*_SYMBOLS, "value", "neg", "min", "max", "abs", "round", "floor", "ceil"}


class Unsatisfiable(FamilyFileError):
    """No draw in `max_tries` met the constraints; the message names the key that rejected most."""


@dataclass(frozen=True)
class _Wording:
    """A step's wording with values, worked out once: `fill(env)` substitutes the draw's values."""

    pattern: str  # a `str.format` pattern with one slot per name, in `names` order
    names: tuple[str, ...]

    def fill(self, env: dict[str, Any]) -> str:
        return self.pattern.format(*[_operand(env[n]) for n in self.names])


@dataclass(frozen=True)
class _Question(QuestionTemplate):
    """A family file's question: rendered as `str.format` when it only places values (`_renderer`)."""

    def render(self, **variables: Any) -> str:
        return _renderer(self.source)(variables)


@lru_cache(maxsize=None)
def _renderer(source: str) -> Callable[[dict[str, Any]], str]:
    """A template that is only text and `{{ name }}`s, as the equivalent `str.format` (what jinja
    writes for `{{ name }}` is `str(value)`, and every name is a value of the problem: the spec
    checked them); a jinja render (sandboxed) for anything else (filters, tests, loops). A question
    and one sentence per step are rendered for every problem: the jinja context is most of their cost."""
    pattern = []
    for output in ENV.parse(source).body:
        if not isinstance(output, jinja_nodes.Output):
            return partial(_jinja, source)
        for item in output.nodes:
            if isinstance(item, jinja_nodes.TemplateData):
                pattern.append(item.data.replace("{", "{{").replace("}", "}}"))
            elif isinstance(item, jinja_nodes.Name) and item.ctx == "load":
                pattern.append("{%s}" % item.name)
            else:
                return partial(_jinja, source)
    return partial(_formatted, "".join(pattern))


def _formatted(pattern: str, values: dict[str, Any]) -> str:
    return pattern.format_map(values).strip()


def _jinja(source: str, values: dict[str, Any]) -> str:
    return render_text(source, values, ENV)


@dataclass(frozen=True)
class _Step:
    """What a step's node needs that the draw does not change."""

    name: str
    expr: Expr
    text: bool  # its value is text
    atom: str
    operands: tuple[tuple[str, Any], ...]  # ("ref", "@step"), ("name", variable) or ("fn", closure)
    given: tuple[str, ...]  # the variables it reads, sorted
    attrs_text: tuple[str, ...]  # the text-valued names among its givens and itself, sorted
    source: str  # its expression in source syntax: what verification parses
    statement_head: str  # `cost = count × price`
    values: _Wording | None  # `9 × 8`; None for a bare name or literal
    unit: str


class DeclarativeFamily(TaskFamily):
    knobs: dict = {}
    granularities = ("answer", "coarse", "fine", "code")

    def __init__(self, spec: FamilySpec, origin: str):
        self.spec = spec
        self.name = spec.name
        self.description = spec.description
        self.answer_type = RECORDED_TYPES[spec.answer_type]
        self.origin = origin  # where it was defined: "file <path>", "shipped", "plugin <dist>", "inline"
        self._questions = tuple(_Question(id=i, name=i.split("/", 1)[1], source=s) for i, s in spec.questions)
        self._step_text = {name: _renderer(source) for name, source in spec.step_text.items()}
        self._steps = [self._plan(name, expr) for name, expr in spec.steps.items()]
        self._subgoals = self._plan_subgoals()
        self._group_of = {name: group for group, names, _ in self._subgoals for name in names}
        self._program_head, self._program_used, self._program_tail = self._plan_program()
        self.draws = Counter()  # tries and accepted problems, for the rejection rate (`rejection_rate`)
        # constraints over givens alone are tested before any step runs: most rejections are cheap
        numeric = {n for n, v in spec.variables.items() if v.numeric}
        constraints = [(f"constraints[{k}]", e) for k, (_, e) in enumerate(spec.constraints)]
        self._early = [(key, e.fn) for key, e in constraints if e.names() <= numeric]
        self._late = [(key, e.fn) for key, e in constraints if not e.names() <= numeric]
        self._samplers = [(f"variables.{n}", n, v.sample) for n, v in spec.variables.items()]
        self._runs = [(f"steps.{s.name}", s.name, s.expr.fn, spec.integer_steps and not s.text) for s in self._steps]
        read = set().union(*(e.names() for e in spec.steps.values()), *(e.names() for _, e in spec.constraints))
        self._read_names = read & set(spec.variables)
        self._read = itemgetter(*[n for n in spec.variables if n in read] or [next(iter(spec.variables))])
        self._step_names = tuple(spec.steps)
        self._verdicts: dict[Any, str | tuple[Any, ...]] = {}  # the givens steps read -> rejection key or step values

    def _plan(self, name: str, expr: Expr) -> _Step:
        spec = self.spec
        operands = tuple(("ref", REF + o.name) if o.kind == "name" and o.name in spec.steps
                         else ("name", o.name) if o.kind == "name" else ("fn", o.fn) for o in expr.operands)
        given = tuple(sorted(n for n in expr.names() if n in spec.variables))
        text = spec.types[name] == TEXT
        attrs_text = tuple(sorted({n for n in given if spec.types[n] == TEXT} | ({name} if text else set())))
        head = _label(name) + (f" = {render(expr, _name_leaf)}" if expr.names() else "")
        return _Step(name, expr, text, "concat" if text and expr.kind == "bin" else expr.atom, operands, given,
                     attrs_text, render(expr, _source_leaf, pretty=False), head, _wording(expr),
                     spec.units.get(name, ""))

    def _plan_subgoals(self) -> list[tuple[int, tuple[str, ...], list[tuple[str, _Wording | None, str]]]]:
        """Coarse subgoals: each group's statements with the group's earlier steps inlined."""
        spec, order = self.spec, list(self.spec.steps)
        planned = []
        for group, members in enumerate(_groups(len(order))):
            names = [order[k] for k in members]
            inlined: dict[str, Expr] = {}
            statements = []
            for position, name in enumerate(names):
                expr = substitute(spec.steps[name], inlined)
                inlined[name] = expr
                if not any(name in spec.steps[later].names() for later in names[position + 1:]):
                    statements.append((name, _wording(expr), spec.units.get(name, "")))
            planned.append((group, tuple(names), statements))
        return planned

    # -- drawing ---------------------------------------------------------------------------------

    def templates(self, allowed: list[str] | None = None) -> tuple[QuestionTemplate, ...]:
        if allowed is None:
            return self._questions
        return tuple(t for t in self._questions if t.id in allowed or t.name in allowed)

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        env = self.draw(rng)
        shown = self._shown(env)
        return Generated(variables=shown, answer=self._answer_text(env[self.spec.answer]),
                         graph=self._graph(env, shown), program=self._program(env), knobs=self._given(env))

    def score_answer(self, problem: Problem, prediction: str) -> bool:
        """Equivalence under the answer's type: numbers exactly, text after case, spacing and
        surrounding quotes and punctuation are normalized (docs/verification.md)."""
        return answers_match(problem.answer, prediction, problem.answer_type)

    def _given(self, env: dict[str, Any]) -> dict[str, int | float]:
        """The numeric givens, recorded like knobs: a `difficulty` split can cut on any of them
        (train on small quantities, test on large ones)."""
        return {name: env[name] if env[name].denominator == 1 else float(env[name])
                for name, variable in self.spec.variables.items() if variable.numeric}

    @property
    def rejection_rate(self) -> float:
        """The share of draws the constraints (or uncomputable values) reject: of the draws so far,
        or, for a family drawn from its enumerated valid combinations, of all combinations."""
        if self._space is not None:
            return self._space.rejection_rate
        return 1 - self.draws["accepted"] / self.draws["tries"] if self.draws["tries"] else 0.0

    @property
    def sampler(self) -> str:
        return "enumerated" if self._space is not None else "rejection"

    @cached_property
    def _space(self) -> Space | None:
        """The valid combinations of the givens, when there are few and rejection would discard
        most draws (space.py); None: rejection sampling."""
        space = enumerate_space(self.spec.variables, self._read_names, self._judge)
        return space if space is not None and space.rejection_rate >= ENUMERATE_FROM else None

    def draw(self, rng: random.Random) -> dict[str, Any]:
        """Givens and step values of one problem: from the valid combinations (space.py), or by
        rejection sampling, at most `max_tries` draws."""
        if self._space is not None:
            return self._pick(rng, self._space)
        spec = self.spec
        rejected: Counter[str] = Counter()
        for tries in range(1, spec.max_tries + 1):
            reason = self._try(rng, env := {})
            if reason is None:
                self.draws.update(tries=tries, accepted=1)
                return env
            rejected[reason] += 1
        self.draws.update(tries=spec.max_tries)
        key, count = rejected.most_common(1)[0]
        raise Unsatisfiable(f"{key}: unsatisfiable: no draw in {spec.max_tries} tries met every condition "
                            f"({count} rejected here)")

    def _pick(self, rng: random.Random, space: Space) -> dict[str, Any]:
        """A valid combination, uniformly, then the givens the computation does not read, in file
        order; a draw of those that fails (an empty range) draws again from the start, as
        rejection sampling would."""
        if not space.valid:
            key, count = space.rejected.most_common(1)[0]
            raise Unsatisfiable(f"{key}: unsatisfiable: no combination of the givens meets every condition "
                                f"({count} of {space.size} rejected here)")
        for tries in range(1, self.spec.max_tries + 1):
            given, values = space.valid[rng._randbelow(len(space.valid))]
            env = dict(zip(space.names, given))
            taken: set[str] = set()
            try:
                for _, name, sample in self._samplers:
                    if name not in env:
                        env[name] = sample(rng, env, taken)
            except EvalError:
                continue
            env.update(zip(self._step_names, values))
            self.draws.update(tries=tries, accepted=1)
            return env
        raise Unsatisfiable(f"variables: unsatisfiable: no draw in {self.spec.max_tries} tries gave every variable "
                            "a value")

    def _try(self, rng: random.Random, env: dict[str, Any]) -> str | None:
        """Fill `env` with one draw; the key that rejected it, or None when it is a problem.

        Whether a draw is kept, and its step values, depend only on the givens the steps and
        constraints read, and most families draw those from a few thousand combinations while
        rejecting most draws: so the verdict of each combination is kept (up to `VERDICTS` of them)
        and a repeated one costs a lookup. The draws from `rng` are the same either way."""
        taken: set[str] = set()
        for key, name, sample in self._samplers:
            try:
                env[name] = sample(rng, env, taken)
            except EvalError:
                return key
        given = self._read(env)
        verdict = self._verdicts.get(given)
        if verdict is None:
            verdict = self._judge(env)
            if len(self._verdicts) < VERDICTS:
                self._verdicts[given] = verdict
        if type(verdict) is str:
            return verdict
        env.update(zip(self._step_names, verdict))
        return None

    def _judge(self, env: dict[str, Any]) -> str | tuple[Any, ...]:
        """The key that rejects the givens in `env`, or the values of the steps. The order of the
        checks only decides which key is blamed, never which draws are kept."""
        failed = _failed(self._early, env)
        if failed:
            return failed
        for key, name, value_of, integral in self._runs:
            try:
                value = value_of(env)
            except EvalError:
                return key
            if integral and type(value) is not int and value.denominator != 1:
                return key
            env[name] = value
        spec = self.spec
        answer = env[spec.answer]
        if (spec.answer_type == "integer" and answer.denominator != 1) or (
                spec.answer_type == "decimal" and (answer * 10**spec.places).denominator != 1):
            return "answer_type"
        return _failed(self._late, env) or tuple(env[name] for name in self._step_names)

    def _shown(self, env: dict[str, Any]) -> dict[str, Any]:
        """Values as templates see them: integers as ints, texts as they are, other numbers as text
        (`2.5`, `7/3`)."""
        return {k: v if type(v) is int or type(v) is str else show(v) for k, v in env.items()}

    def _answer_text(self, value: Any) -> str:
        if self.spec.answer_type == "decimal":
            return _fixed(value, self.spec.places)
        if self.spec.answer_type == "text":
            return value
        return format_fraction(value)

    # -- the graph -------------------------------------------------------------------------------

    def _graph(self, env: dict[str, Any], shown: dict[str, Any]) -> StepGraph:
        spec = self.spec
        step_text = self._step_text
        nodes = []
        for step in self._steps:
            name = step.name
            inputs = tuple(payload if kind == "ref" else show(env[payload]) if kind == "name" else show(payload(env))
                           for kind, payload in step.operands)
            text = step_text[name](shown) if name in step_text else self._statement(step, env)
            attrs = {"expr": step.source, "given": {n: show(env[n]) for n in step.given}}
            if step.attrs_text:
                attrs["text"] = list(step.attrs_text)
            nodes.append(Node(
                id=name, op=step.atom, inputs=inputs, output=show(env[name]), text=text,
                question=f"What is {step.values.fill(env) if step.values else _label(name)}?",
                group=self._group_of[name], attrs=attrs,
            ))
        subgoals = []
        for group, names, statements in self._subgoals:
            text = "; ".join(" = ".join([_label(name), *([values.fill(env)] if values else []), _stated(env[name], unit)])
                             for name, values, unit in statements)
            last = names[-1]
            subgoals.append(Subgoal(group, names, text + ".", f"What is {_label(last)}?", show(env[last])))
        return StepGraph(nodes=nodes, subgoals=subgoals, result=spec.answer)

    def _statement(self, step: _Step, env: dict[str, Any]) -> str:
        """`cost = count × price = 5 × 7 = 35 dollars`: the generic wording of a step, values substituted."""
        parts = [step.statement_head]
        if step.values:
            parts.append(step.values.fill(env))
        parts.append(_stated(env[step.name], step.unit))
        return " = ".join(parts)

    # -- the code granularity --------------------------------------------------------------------

    def _plan_program(self) -> tuple[str, tuple[str, ...], str]:
        """A Python program over the givens that derives the answer step by step, exactly (Fraction):
        every line but the givens' is the same for every problem."""
        spec = self.spec
        used = tuple(sorted(set().union(*(e.names() for e in spec.steps.values())) & set(spec.variables),
                            key=list(spec.variables).index))
        functions = {e.op for expr in spec.steps.values() for e in _walk(expr) if e.kind == "call"}
        lines = ["import math" if functions & {"floor", "ceil"} else "", "from fractions import Fraction"]
        if spec.answer_type == "decimal":
            lines.append("from decimal import Decimal")
        lines.append("")
        lines += [_PRELUDE[f] for f in sorted(functions & set(_PRELUDE))]
        head = "\n".join(lines).lstrip("\n") + "\n"
        tail = [f"{name} = {render(expr, _program_leaf, pretty=False)}" for name, expr in spec.steps.items()]
        answer = spec.answer
        if spec.answer_type == "decimal":
            tail.append(f"print(format(Decimal({answer}.numerator) / Decimal({answer}.denominator), "
                        f"'.{spec.places}f'))")
        elif spec.answer_type == "text":
            tail.append(f"print({answer})")
        else:
            tail.append(f"print(Fraction({answer}))")
        return head, used, "\n".join(tail) + "\n"

    def _program(self, env: dict[str, Any]) -> str:
        givens = [f"{name} = {env[name]!r}" if type(env[name]) is str else f"{name} = Fraction({str(env[name])!r})"
                  for name in self._program_used]
        return self._program_head + "".join(line + "\n" for line in givens) + self._program_tail

    # -- verification ----------------------------------------------------------------------------

    def recompute_answer(self, graph: StepGraph) -> str:
        """Every node re-evaluated from its expression and givens, each reference taking the
        recomputed (never the stated) value of the node it names."""
        values: dict[str, Any] = {}
        for node in graph.nodes:
            values[node.id] = _recompute(node, values)
        return self._answer_text(values[graph.result])

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        """A step holds when each node it states recomputes to its output (from its expression and,
        again, from its op over its inputs), every equation the step writes is true, and the last
        number it states is the value of its last node. A step whose value is text must end in that
        text and state no number but those its nodes read, compute or write."""
        text_value = node_ids[-1] in graph.node(node_ids[-1]).attrs.get("text", ())
        known: set[Any] = set()  # the numbers a text step may state
        for node_id in node_ids:
            node = graph.node(node_id)
            try:
                # the step on its own: the nodes it reads count with their stated outputs
                expr = parse_cached(node.attrs["expr"])
                stated = {}
                for name in expr.names():
                    if name not in node.attrs["given"]:
                        read = graph.node(name)
                        stated[name] = _value(read.output, name in read.attrs.get("text", ()))
                env = _inputs(node, stated)
                value = expr.fn(env)
                by_op = _by_op(graph, node)
                output = _value(node.output, node_id in node.attrs.get("text", ()))
            except (EvalError, ExprError, KeyError, ValueError, TypeError) as err:
                return False, f"{node_id} cannot be recomputed: {err}"
            if not same(value, output) or (by_op is not None and not same(by_op, value)):
                return False, f"{node_id} recomputes to {show(value)}, graph has {node.output}"
            if text_value:
                for seen in (*env.values(), output, *_literals(node.attrs["expr"])):
                    known.update(map(number, _TEXT_NUMBER.findall(seen)) if type(seen) is str else (seen,))
        last = graph.node(node_ids[-1]).output
        return check_text_claim(step, last, known) if text_value else check_claim(step, number(last))

    def check_draws(self, draws: int = PROBE_DRAWS) -> None:
        """Draw problems and verify them in full, so that a family whose constraints cannot be met,
        whose templates fail to render or whose step wording does not state its values fails when
        loaded, naming the key."""
        shown = self._shown(self.draw(random.Random(0)))
        sources = [(f"questions[{k}]", s) for k, (_, s) in enumerate(self.spec.questions)]
        for key, source in sources + [(f"step_text.{n}", s) for n, s in self.spec.step_text.items()]:
            try:
                render_text(source, shown, ENV)
            except Exception as err:  # sandbox refusals, type errors: the template is the user's
                raise FamilyFileError(f"{key}: cannot be rendered: {type(err).__name__}: {err}") from None
        for index in range(draws):
            problem = self.build(0, "probe", index, {}, self._questions)
            if self.recompute_answer(problem.graph) != problem.answer:
                raise FamilyFileError(f"steps: answer {problem.answer} does not recompute")
            graph = problem.graph
            steps = {"fine": [(n.text, (n.id,)) for n in graph.nodes], "coarse": [(s.text, s.node_ids) for s in graph.subgoals]}
            for granularity, stated in steps.items():  # the steps a fine and a coarse trace state
                for claim, nodes in stated:
                    holds, reason = self.check_step(graph, claim, nodes)
                    if not holds:
                        where = nodes[-1]
                        key = f"step_text.{where}" if where in self.spec.step_text and granularity == "fine" \
                            else f"steps.{where}"
                        raise FamilyFileError(f"{key}: a {granularity} step does not verify ({reason}): {claim!r}")
        self.draws.clear()


# exact versions of the functions whose builtins return int, so that `/` after them stays exact, and
# the text functions of the expression language
_PRELUDE = {
    "ceil": "def ceil(x):\n    return Fraction(math.ceil(x))\n",
    "floor": "def floor(x):\n    return Fraction(math.floor(x))\n",
    "round": "_round = round\n\n\ndef round(x, places=0):\n    return Fraction(_round(Fraction(x), int(places)))\n",
    "nth": "def nth(k, *items):\n    return items[int(k)]\n",
    "position": "def position(x, *items):\n    return Fraction(items.index(x))\n",
    "text": ("def text(x):\n    x = Fraction(x)\n    for places in range(7):\n        scaled = x * 10**places\n"
             "        if scaled.denominator == 1:\n            digits = f'{abs(scaled.numerator):0{places + 1}d}'\n"
             "            sign = '-' if x < 0 else ''\n"
             "            return sign + (digits[:-places] + '.' + digits[-places:] if places else digits)\n"
             "    return str(x)\n"),
}


def _failed(conditions: list[tuple[str, Any]], env: dict[str, Any]) -> str | None:
    """The key of the first condition that does not hold (or cannot be computed), else None."""
    for key, holds in conditions:
        try:
            if not holds(env):
                return key
        except EvalError:
            return key
    return None


def _groups(count: int) -> list[list[int]]:
    """Coarse subgoals: consecutive pairs of steps, a last odd one joining the pair before it."""
    if count <= 2:
        return [list(range(count))]
    groups = [list(range(k, min(k + 2, count))) for k in range(0, count, 2)]
    if len(groups[-1]) == 1:
        last = groups.pop()
        groups[-1] += last
    return groups


def _stated(value: Any, unit: str) -> str:
    return show(value) + (f" {unit}" if unit else "")


def _label(name: str) -> str:
    return name.replace("_", " ")


def _wording(expr: Expr) -> _Wording | None:
    """The shape of `render(expr, values)` with a slot per name: the brackets depend only on the
    tree, so the pattern is the same for every draw."""
    if expr.kind in ("num", "str", "name"):
        return None
    names: list[str] = []

    def slot(leaf: Expr) -> str:
        if leaf.kind == "name":
            names.append(leaf.name)
            return "{%d}" % (len(names) - 1)
        return _operand(leaf.value).replace("{", "{{").replace("}", "}}")

    return _Wording(render(expr, slot), tuple(names))


def _walk(expr: Expr):
    yield expr
    for arg in expr.args:
        yield from _walk(arg)


def _fixed(value: Fraction, places: int) -> str:
    scaled = value * 10**places
    digits = f"{abs(scaled.numerator) // scaled.denominator:0{places + 1}d}"
    return f"{'-' if value < 0 else ''}{digits[:-places]}.{digits[-places:]}"


def _source_leaf(expr: Expr) -> str:
    if expr.kind == "name":
        return expr.name
    if expr.kind == "str":
        return repr(expr.value)
    return format_fraction(expr.value) if expr.value.denominator == 1 else f"({format_fraction(expr.value)})"


def _program_leaf(expr: Expr) -> str:
    if expr.kind == "name":
        return expr.name
    return repr(expr.value) if expr.kind == "str" else f"Fraction({str(expr.value)!r})"


def _name_leaf(expr: Expr) -> str:
    return expr.name if expr.kind == "name" else _operand(expr.value)


def _operand(value: Any) -> str:
    """A value inside a written operation: negatives and non-decimal fractions bracketed, texts quoted."""
    if type(value) is str:
        return f'"{value}"'
    text = show(value)
    return f"({text})" if value < 0 or "/" in text else text


@lru_cache(maxsize=4096)
def parse_cached(source: str) -> Expr:
    return parse(source)


def _value(text: str, is_text: bool) -> Any:
    return text if is_text else number(text)


def _inputs(node: Node, values: dict[str, Any]) -> dict[str, Any]:
    """What a node's expression reads: its givens (as written in the node) and `values`."""
    texts = node.attrs.get("text", ())
    env = {name: _value(text, name in texts) for name, text in node.attrs["given"].items()}
    env.update(values)
    return env


def _recompute(node: Node, values: dict[str, Any]) -> Any:
    return parse_cached(node.attrs["expr"]).fn(_inputs(node, values))


@lru_cache(maxsize=4096)
def _literals(source: str) -> tuple[Any, ...]:
    return tuple(e.value for e in _walk(parse_cached(source)) if e.kind == "num")


def _by_op(graph: StepGraph, node: Node) -> Any:
    """The node's op applied to its inputs (None for an op on text or conditions: its expression's
    recomputation is the check)."""
    if node.op not in _NUMERIC_OPS or node.attrs.get("text"):
        return None
    operands = [number(graph.resolve(i)) for i in node.inputs]
    if node.op == "value":
        return operands[0]
    if node.op == "neg":
        return -operands[0]
    return apply(_SYMBOLS.get(node.op, node.op), operands)


def check_claim(claim: str, value: Fraction) -> tuple[bool, str]:
    """Every `lhs = rhs` of plain arithmetic in the claim holds, and its last number is `value`."""
    text, problem = _equations(claim)
    if problem:
        return False, problem
    numbers = _NUMBER.findall(text)
    if not numbers:
        return False, "the step states no number"
    if not same(number(numbers[-1]), value):
        return False, f"the step ends in {numbers[-1]}, its value is {format_fraction(value)}"
    return True, "holds"


def check_text_claim(claim: str, value: str, known: set[Any]) -> tuple[bool, str]:
    """Every `lhs = rhs` of plain arithmetic in the claim holds, every number it states is `known`,
    and it ends in the text `value` (compared as text answers are: case, spacing, quotes and final
    punctuation aside)."""
    text, problem = _equations(claim)
    if problem:
        return False, problem
    for written in _TEXT_NUMBER.findall(text):
        if number(written) not in known:
            return False, f"the step states {written}, which its computation does not"
    said, wanted = canonical_text(claim).rstrip("\"'"), canonical_text(value)
    if not wanted or not said.endswith(wanted) or said[:len(said) - len(wanted)][-1:].isalnum():
        return False, f"the step does not end in its value {value!r}"
    return True, "holds"


def _equations(claim: str) -> tuple[str, str]:
    """The claim as plain arithmetic text, and why one of its equations is false ('' when none is)."""
    if len(claim) > MAX_CLAIM:
        return "", f"step longer than {MAX_CLAIM} characters"
    text = _FRACTION.sub(r"(\1)", claim) if "/" in claim else claim  # `1 ÷ 1/12`: a written fraction is one number
    for char, plain in _PLAIN:
        if char in text:
            text = text.replace(char, plain)
    segments = text.split("=")
    for left, right in zip(segments, segments[1:]):
        tail, head = _ARITH_TAIL.search(left), _ARITH_HEAD.search(right)
        sides = [_arith_value(m.group(0)) if m else None for m in (tail, head)]
        if None in sides:
            continue  # prose around the `=`: not an equation of numbers
        if not same(sides[0], sides[1]):
            return text, f"{tail.group(0).strip()} is {format_fraction(sides[0])}, not {head.group(0).strip(' .,')}"
    return text, ""


@lru_cache(maxsize=1 << 14)
def _arith_value(text: str) -> int | Fraction | None:
    """The value of one side of a written equation (cached: steps repeat the same small sums)."""
    source = text.strip(" ,").rstrip(".")
    if not source or not any(c.isdigit() for c in source):
        return None
    simple = _ONE_OPERATION.match(source)
    if simple:  # `a op b`, the shape of most steps: no syntax tree needed
        a, op, b = simple.groups()
        try:
            return apply(op, [number(a), number(b)]) if op else number(a)
        except EvalError:
            return None
    try:
        value = parse_cached(source).fn({})
    except (ExprError, EvalError, KeyError):
        return None
    return None if isinstance(value, (bool, str)) else value
