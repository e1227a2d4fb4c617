"""A task family defined by a file: draws the givens, runs the steps, and builds the step graph.

Each step is one graph node whose op is the step's top-level operation (`add`, `mul`, `div`, `min`,
...: the arithmetic families' atom names) and whose inputs are that operation's operands: `@step`
for a bare reference to an earlier step, else the operand's value. Values are written as the CoT
writes them (`35`, `2.5`, `7/3`), so a step's text states its node's output verbatim. So atoms, compounds, difficulty
on the number of steps and every split work as for a built-in family. A node also keeps its step's
expression and the givens it reads (`attrs`), from which verification recomputes it.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from fractions import Fraction
from functools import lru_cache
from typing import Any

from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.tasks.declarative.expr import (
    EvalError, Expr, ExprError, apply, evaluate, number, parse, render, show, substitute,
)
from cotsynth.tasks.declarative.spec import ENV, FamilyFileError, FamilySpec
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.templates import QuestionTemplate, render_text
from cotsynth.core.arithmetic import format_fraction

_FRACTION = re.compile(r"(?<![\d.)])(\d+/\d+)(?![\d.(])")
_ONE_OPERATION = re.compile(r"^(-?\d+(?:\.\d+)?)(?:\s*([-+*/])\s*(\d+(?:\.\d+)?))?$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")
_FUNCTION_OR_CHAR = r"(?:\b(?:min|max|abs|round|floor|ceil)\(|[0-9.()+\-*/%×÷−, ])"
_ARITH_TAIL = re.compile(_FUNCTION_OR_CHAR + r"+$")
_ARITH_HEAD = re.compile(r"^" + _FUNCTION_OR_CHAR + r"+")
_PLAIN = str.maketrans({"×": "*", "÷": "/", "−": "-", "$": "", "€": "", "£": ""})
MAX_CLAIM = 2_000
PROBE_DRAWS = 40
RECORDED_TYPES = {"integer": "integer", "rational": "rational", "decimal": "number"}


class Unsatisfiable(FamilyFileError):
    """No draw in `max_tries` met the constraints; the message names the key that rejected most."""


class DeclarativeFamily(TaskFamily):
    knobs: dict = {}
    granularities = ("answer", "coarse", "fine", "code")

    def __init__(self, spec: FamilySpec, origin: str):
        self.spec = spec
        self.name = spec.name
        self.description = spec.description
        self.answer_type = RECORDED_TYPES[spec.answer_type]
        self.origin = origin  # where it was defined: "file <path>", "shipped", "plugin <dist>", "inline"
        self._questions = tuple(QuestionTemplate(id=i, name=i.split("/", 1)[1], source=s) for i, s in spec.questions)
        order = list(spec.steps)
        self._groups = _groups(len(order))
        self._group_of = {name: g for g, members in enumerate(self._groups) for name in (order[k] for k in members)}
        # per step, the texts that do not depend on the draw: its source and its wording with names
        self._source = {n: render(e, _source_leaf, pretty=False) for n, e in spec.steps.items()}
        self._named = {n: render(e, _name_leaf) for n, e in spec.steps.items()}
        numeric = {n for n, v in spec.variables.items() if v.numeric}
        # constraints over givens alone are tested before any step runs: most rejections are cheap
        self._early = [(k, e) for k, (_, e) in enumerate(spec.constraints) if e.names() <= numeric]
        self._late = [(k, e) for k, (_, e) in enumerate(spec.constraints) if not e.names() <= numeric]

    # -- drawing ---------------------------------------------------------------------------------

    def templates(self, allowed: list[str] | None = None) -> tuple[QuestionTemplate, ...]:
        if allowed is None:
            return self._questions
        return tuple(t for t in self._questions if t.id in allowed or t.name in allowed)

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        env = self.draw(rng)
        return Generated(variables=self._shown(env), answer=self._answer_text(env[self.spec.answer]),
                         graph=self._graph(env), program=self._program(env), knobs=self._given(env))

    def _given(self, env: dict[str, Any]) -> dict[str, int | float]:
        """The numeric givens, recorded like knobs: a `difficulty` split can cut on any of them
        (train on small quantities, test on large ones)."""
        return {name: env[name] if env[name].denominator == 1 else float(env[name])
                for name, variable in self.spec.variables.items() if variable.numeric}

    def draw(self, rng: random.Random) -> dict[str, Any]:
        """Givens and step values of one problem: rejection sampling, at most `max_tries` draws."""
        spec = self.spec
        rejected: Counter[str] = Counter()
        for _ in range(spec.max_tries):
            reason = self._try(rng, env := {})
            if reason is None:
                return env
            rejected[reason] += 1
        key, count = rejected.most_common(1)[0]
        raise Unsatisfiable(f"{key}: unsatisfiable: no draw in {spec.max_tries} tries met every condition "
                            f"({count} rejected here)")

    def _try(self, rng: random.Random, env: dict[str, Any]) -> str | None:
        """Fill `env` with one draw; the key that rejected it, or None when it is a problem."""
        spec = self.spec
        taken: set[str] = set()
        for name, variable in spec.variables.items():
            try:
                env[name] = variable.sample(rng, env, taken)
            except EvalError:
                return f"variables.{name}"
        for k, condition in self._early:
            if not _holds(condition, env):
                return f"constraints[{k}]"
        for name, expr in spec.steps.items():
            try:
                value = evaluate(expr, env)
            except EvalError:
                return f"steps.{name}"
            if spec.integer_steps and value.denominator != 1:
                return f"steps.{name}"
            env[name] = value
        answer = env[spec.answer]
        if (spec.answer_type == "integer" and answer.denominator != 1) or (
                spec.answer_type == "decimal" and (answer * 10**spec.places).denominator != 1):
            return "answer_type"
        for k, condition in self._late:
            if not _holds(condition, env):
                return f"constraints[{k}]"
        return None

    def _shown(self, env: dict[str, Any]) -> dict[str, Any]:
        """Values as templates see them: integers as ints, other numbers as text (`2.5`, `7/3`)."""
        return {k: v if isinstance(v, str) or v.denominator == 1 else show(v) for k, v in env.items()}

    def _answer_text(self, value: Fraction) -> str:
        if self.spec.answer_type == "decimal":
            return _fixed(value, self.spec.places)
        return format_fraction(value)

    # -- the graph -------------------------------------------------------------------------------

    def _graph(self, env: dict[str, Any]) -> StepGraph:
        spec = self.spec
        shown = self._shown(env)
        nodes = []
        for name, expr in spec.steps.items():
            value = env[name]
            inputs = tuple(REF + o.name if o.kind == "name" and o.name in spec.steps
                           else show(evaluate(o, env)) for o in expr.operands)
            if name in spec.step_text:
                text = render_text(spec.step_text[name], shown, ENV)
            else:
                text = self._statement(name, expr, env, with_names=True)
            nodes.append(Node(
                id=name, op=expr.atom, inputs=inputs, output=show(value), text=text,
                question=f"What is {self._in_values(name, expr, env)}?", group=self._group_of[name],
                attrs={"expr": self._source[name],
                       "given": {n: show(env[n]) for n in sorted(expr.names()) if n in spec.variables}},
            ))
        subgoals = []
        order = list(spec.steps)
        for group, members in enumerate(self._groups):
            names = [order[k] for k in members]
            inlined: dict[str, Expr] = {}
            statements = []
            for position, name in enumerate(names):
                expr = substitute(spec.steps[name], inlined)
                inlined[name] = expr
                if not any(name in spec.steps[later].names() for later in names[position + 1:]):
                    statements.append(self._statement(name, expr, env, with_names=False))
            last = names[-1]
            subgoals.append(Subgoal(group, tuple(names), "; ".join(statements) + ".",
                                    f"What is {self._label(last)}?", show(env[last])))
        return StepGraph(nodes=nodes, subgoals=subgoals, result=spec.answer)

    def _label(self, name: str) -> str:
        return name.replace("_", " ")

    def _in_values(self, name: str, expr: Expr, env: dict[str, Any]) -> str:
        """A step as a sub-question's subject: its operation on values (`9 × 8`), else its name."""
        return self._label(name) if expr.kind in ("num", "name") else render(expr, _value_leaf(env))

    def _statement(self, name: str, expr: Expr, env: dict[str, Any], with_names: bool) -> str:
        """`cost = count × price = 5 × 7 = 35 dollars`: the generic wording of a step, values substituted."""
        parts = [self._label(name)]
        if with_names and expr.names():
            parts.append(self._named[name])
        if expr.kind not in ("num", "name"):
            parts.append(render(expr, _value_leaf(env)))
        unit = self.spec.units.get(name)
        parts.append(show(env[name]) + (f" {unit}" if unit else ""))
        return " = ".join(parts)

    # -- the code granularity --------------------------------------------------------------------

    def _program(self, env: dict[str, Any]) -> str:
        """A Python program over the givens that derives the answer step by step, exactly (Fraction)."""
        spec = self.spec
        used = sorted(set().union(*(e.names() for e in spec.steps.values())) & set(spec.variables),
                      key=list(spec.variables).index)
        functions = {e.op for expr in spec.steps.values() for e in _walk(expr) if e.kind == "call"}
        lines = ["import math" if functions & {"floor", "ceil"} else "", "from fractions import Fraction"]
        if spec.answer_type == "decimal":
            lines.append("from decimal import Decimal")
        lines.append("")
        lines += [_PRELUDE[f] for f in sorted(functions & set(_PRELUDE))]
        lines += [f"{name} = Fraction({str(env[name])!r})" for name in used]
        lines += [f"{name} = {render(expr, _program_leaf, pretty=False)}" for name, expr in spec.steps.items()]
        answer = spec.answer
        if spec.answer_type == "decimal":
            lines.append(f"print(format(Decimal({answer}.numerator) / Decimal({answer}.denominator), "
                         f"'.{spec.places}f'))")
        else:
            lines.append(f"print(Fraction({answer}))")
        return "\n".join(lines).lstrip("\n") + "\n"

    # -- verification ----------------------------------------------------------------------------

    def recompute_answer(self, graph: StepGraph) -> str:
        """Every node re-evaluated from its expression and givens, each reference taking the
        recomputed (never the stated) value of the node it names."""
        values: dict[str, Fraction] = {}
        for node in graph.nodes:
            values[node.id] = _recompute(node, values)
        return self._answer_text(values[graph.result])

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        """A step holds when each node it states recomputes to its output (from its expression and,
        again, from its op over its inputs), every equation the step writes is true, and the last
        number it states is the value of its last node."""
        for node_id in node_ids:
            node = graph.node(node_id)
            try:
                # the step on its own: the nodes it reads count with their stated outputs
                stated = {name: number(graph.node(name).output)
                          for name in parse_cached(node.attrs["expr"]).names() if name not in node.attrs["given"]}
                value = _recompute(node, stated)
                by_op = _by_op(graph, node)
            except (EvalError, ExprError, KeyError, ValueError) as err:
                return False, f"{node_id} cannot be recomputed: {err}"
            if value != number(node.output) or (by_op is not None and by_op != value):
                return False, f"{node_id} recomputes to {format_fraction(value)}, graph has {node.output}"
        return check_claim(step, number(graph.node(node_ids[-1]).output))

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


# exact versions of the functions whose builtins return int, so that `/` after them stays exact
_PRELUDE = {
    "ceil": "def ceil(x):\n    return Fraction(math.ceil(x))\n",
    "floor": "def floor(x):\n    return Fraction(math.floor(x))\n",
    "round": "_round = round\n\n\ndef round(x, places=0):\n    return Fraction(_round(Fraction(x), int(places)))\n",
}


def _groups(count: int) -> list[list[int]]:
    """Coarse subgoals: consecutive pairs of steps, a last odd one joining the pair before it."""
    if count <= 2:
        return [list(range(count))]
    groups = [list(range(k, min(k + 2, count))) for k in range(0, count, 2)]
    if len(groups[-1]) == 1:
        last = groups.pop()
        groups[-1] += last
    return groups


def _holds(condition: Expr, env: dict[str, Any]) -> bool:
    try:
        return bool(evaluate(condition, env))
    except EvalError:
        return False


def _walk(expr: Expr):
    yield expr
    for arg in expr.args:
        yield from _walk(arg)


def _fixed(value: Fraction, places: int) -> str:
    scaled = value * 10**places
    digits = f"{abs(scaled.numerator) // scaled.denominator:0{places + 1}d}"
    return f"{'-' if value < 0 else ''}{digits[:-places]}.{digits[-places:]}"


def _source_leaf(expr: Expr) -> str:
    return expr.name if expr.kind == "name" else format_fraction(expr.value) if expr.value.denominator == 1 \
        else f"({format_fraction(expr.value)})"


def _program_leaf(expr: Expr) -> str:
    return expr.name if expr.kind == "name" else f"Fraction({str(expr.value)!r})"


def _name_leaf(expr: Expr) -> str:
    return expr.name if expr.kind == "name" else _operand(expr.value)


def _value_leaf(env: dict[str, Any]):
    return lambda expr: _operand(env[expr.name] if expr.kind == "name" else expr.value)


def _operand(value: Fraction) -> str:
    """A value inside a written operation: negatives and non-decimal fractions bracketed."""
    text = show(value)
    return f"({text})" if value < 0 or "/" in text else text


@lru_cache(maxsize=4096)
def parse_cached(source: str) -> Expr:
    return parse(source)


def _recompute(node: Node, values: dict[str, Fraction]) -> Fraction:
    env = {name: number(text) for name, text in node.attrs["given"].items()} | values
    return evaluate(parse_cached(node.attrs["expr"]), env)


def _by_op(graph: StepGraph, node: Node) -> Fraction | None:
    """The node's op applied to its inputs (None for an op that is no arithmetic: `value`)."""
    operands = [number(graph.resolve(i)) for i in node.inputs]
    if node.op == "value":
        return operands[0]
    if node.op == "neg":
        return -operands[0]
    symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%", "pow": "**"}
    return apply(symbol.get(node.op, node.op), operands)


def check_claim(claim: str, value: Fraction) -> tuple[bool, str]:
    """Every `lhs = rhs` of plain arithmetic in the claim holds, and its last number is `value`."""
    if len(claim) > MAX_CLAIM:
        return False, f"step longer than {MAX_CLAIM} characters"
    text = _FRACTION.sub(r"(\1)", claim).translate(_PLAIN)  # `1 ÷ 1/12`: a written fraction is one number
    segments = text.split("=")
    for left, right in zip(segments, segments[1:]):
        tail, head = _ARITH_TAIL.search(left), _ARITH_HEAD.search(right)
        sides = [_arith_value(m.group(0)) if m else None for m in (tail, head)]
        if None in sides:
            continue  # prose around the `=`: not an equation of numbers
        if sides[0] != sides[1]:
            return False, f"{tail.group(0).strip()} is {format_fraction(sides[0])}, not {head.group(0).strip(' .,')}"
    numbers = _NUMBER.findall(text)
    if not numbers:
        return False, "the step states no number"
    if Fraction(numbers[-1]) != value:
        return False, f"the step ends in {numbers[-1]}, its value is {format_fraction(value)}"
    return True, "holds"


def _arith_value(text: str) -> int | Fraction | None:
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
        value = evaluate(parse_cached(source), {})
    except (ExprError, EvalError, KeyError):
        return None
    return None if isinstance(value, bool) else value
