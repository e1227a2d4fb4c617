"""Family files (templates/families/*.yaml, a pipeline's own): calculation slips, a misread given and
a sign error, on integer, rational and decimal steps alike.

A family file's node recomputes from its expression over the givens and the earlier steps it names
(`attrs.expr`), which may be more than its graph inputs (`amount / volume * 100` has one operation's
operands as inputs, both steps as names): so later steps are recomputed from the expression, every
value written as the family writes it (`show`: `35`, `2.45`, `7/3`), and the step's text gets the
changed values in place of the right ones, nearest the `=` the step ends in.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from fractions import Fraction

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, carry_places, digit_places, token

KINDS = ("carry_slip", "borrow_slip", "operand_misread", "sign_error")


def is_declarative(family: str) -> bool:
    """Whether a family is defined by a family file (its nodes carry their expressions)."""
    from cotsynth import tasks
    from cotsynth.tasks.declarative import DeclarativeFamily

    try:
        return isinstance(tasks.get(family), DeclarativeFamily)
    except KeyError:
        return False


class DeclarativeModel(ErrorModel):
    """A family file's steps: a node reads every step its expression names, not only its inputs."""

    kinds = KINDS

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        from cotsynth.tasks.declarative.family import parse_cached

        values = {n.id: _value_of(n.output, n.id in n.attrs.get("text", ())) for n in graph.nodes}
        nodes, changed = list(graph.nodes), set()
        for k, node in enumerate(graph.nodes[step:], start=step):
            names = parse_cached(node.attrs["expr"]).names()
            if k == step:
                stated = self._slip(graph, node, values, kind, rng)
            elif names & changed:
                stated = self._evaluate(graph, node, values, {})
            else:
                continue
            if stated is None:
                return None
            value, text, inputs = stated
            if value != values[node.id]:
                changed.add(node.id)
            values[node.id] = value
            nodes[k] = replace(node, inputs=inputs, output=_show(value), text=text)
        return StepGraph(nodes=nodes, subgoals=[], result=graph.result) if graph.result in changed else None

    def _evaluate(self, graph: StepGraph, node: Node, values: dict[str, Fraction], misread: dict[str, str],
                  value: Fraction | None = None) -> tuple[Fraction, str, tuple[str, ...]] | None:
        """The node from its expression over `values` (givens as recorded unless `misread`), its text
        with each changed value put in, and its operands' values (its graph inputs); `value` overrides
        the result (a slip in the calculation)."""
        from cotsynth.tasks.declarative.expr import EvalError, evaluate
        from cotsynth.tasks.declarative.family import parse_cached

        expr = parse_cached(node.attrs["expr"])
        texts = node.attrs.get("text", ())
        env = {n: _value_of(v, n in texts) for n, v in (node.attrs["given"] | misread).items()} | values
        try:
            right = evaluate(expr, env)
            inputs = tuple(i if i.startswith(REF) else _show(evaluate(o, env)) for i, o in zip(node.inputs, expr.operands))
        except (EvalError, ZeroDivisionError):
            return None
        value = right if value is None else value
        changes = [(node.attrs["given"][n], v) for n, v in misread.items()]
        changes += [(graph.node(n).output, _show(values[n])) for n in sorted(expr.names()) if n in values]
        text = _restated(node.text, [(old, new) for old, new in changes if old != new], node.output, _show(value))
        return (value, text, inputs) if text is not None else None

    def _slip(self, graph: StepGraph, node: Node, values: dict[str, Fraction], kind: str,
              rng: random.Random) -> tuple[Fraction, str, tuple[str, ...]] | None:
        from cotsynth.tasks.declarative.expr import number

        right = values[node.id]
        if isinstance(right, (str, bool)):
            return None  # a text or a condition: no slip of these kinds (later numbers still follow a wrong one)
        if kind == "operand_misread":
            if not node.attrs["given"]:
                return None
            name = rng.choice(sorted(node.attrs["given"]))
            wrong = _misread_decimal(node.attrs["given"][name], rng)
            return self._evaluate(graph, node, values, {name: wrong}) if wrong else None
        if kind == "sign_error":
            return self._evaluate(graph, node, values, {}, -right) if right else None
        if kind not in ("carry_slip", "borrow_slip") or node.op not in ("add", "sub", "mul") or len(node.inputs) != 2:
            return None
        operands = [number(graph.resolve(i)) for i in node.inputs]
        a, b = operands
        scale = 10 ** max(_places(v) for v in (a, b, right))
        if (a * scale).denominator != 1 or (b * scale).denominator != 1 or (right * scale).denominator != 1:
            return None
        if kind == "carry_slip" and node.op in ("add", "mul"):
            places = carry_places(a * scale, b * scale) if node.op == "add" else digit_places(right * scale)
            sign = -1 if node.op == "add" else rng.choice((-1, 1))
        elif kind == "borrow_slip" and node.op == "sub" and a >= b >= 0:
            places, sign = carry_places(right * scale, b * scale), 1
        else:
            return None
        if not places:
            return None
        return self._evaluate(graph, node, values, {}, right + Fraction(sign * 10 ** rng.choice(places), scale))


def _value_of(text: str, is_text: bool) -> Fraction | int | str:
    """A recorded value: a text as itself, a number exactly."""
    from cotsynth.tasks.declarative.expr import number

    return text if is_text else number(text)


def _show(value: Fraction | int | str) -> str:
    from cotsynth.tasks.declarative.expr import show

    return show(value)


def _places(value: Fraction) -> int:
    """Decimal places of a value that terminates (0 for others: they get no digit slips)."""
    for places in range(7):
        if (value * 10**places).denominator == 1:
            return places
    return 0


def _misread_decimal(text: str, rng: random.Random) -> str | None:
    """A copy error: one digit of an integer or decimal read one higher or lower (no new leading zero)."""
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text) is None:
        return None
    positions = [k for k, c in enumerate(text) if c.isdigit()]
    k = rng.choice(positions)
    leading = k == positions[0] and (len(positions) > 1 and text[k + 1: k + 2] != ".")
    options = [d for d in (int(text[k]) - 1, int(text[k]) + 1) if 0 <= d <= 9 and not (leading and d == 0)]
    return text[:k] + str(rng.choice(options)) + text[k + 1:] if options else None


def _restated(text: str, changes: list[tuple[str, str]], old_output: str, new_output: str) -> str | None:
    """The text with its last mention of the output replaced, and each changed value's last mention
    before that (the operand written in the equation, not the same number in the prose before it)."""
    outputs = list(re.finditer(token(old_output), text))
    if not outputs:
        return None
    head, tail = text[: outputs[-1].start()], new_output + text[outputs[-1].end():]
    for old, new in changes:
        found = list(re.finditer(token(old), head))
        if not found:
            return None
        start, end = found[-1].start(), found[-1].end()
        bracketed = head[start - 1: start] == "(" and head[end: end + 1] == ")"
        written = f"({new})" if not bracketed and (new.startswith("-") or "/" in new) else new
        head = head[:start] + written + head[end:]
    return head + tail


MODEL = DeclarativeModel()
