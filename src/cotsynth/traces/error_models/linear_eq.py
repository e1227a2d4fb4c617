"""linear_eq: a term dropped while collecting like terms (`dropped_term`), a term moved across the
`=` without changing its sign (`sign_error`), and the final division done the wrong way round
(`wrong_division`: x = a/c for ax = c). After a wrong equation the family's own moves run on from
it (collect, move, then for a system scale, eliminate and substitute back), so the solution the trace
reaches is the wrong equation's."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.core.polynomials import Poly, poly_add
from cotsynth.traces.error_models.base import ErrorModel
from cotsynth.traces.error_models.registry import register


@register("linear_eq")
class LinearEqModel(ErrorModel):
    kinds = ("dropped_term", "sign_error", "wrong_division")

    def answer(self, graph: StepGraph) -> str:
        values = {n.output.split(" = ")[0]: n.output.split(" = ")[1] for n in graph.nodes
                  if n.output.startswith(("x = ", "y = "))}
        if "y" in values:
            return f"({values.get('x', '?')}, {values['y']})"
        return values.get("x", graph.node(graph.result).output)

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        node = graph.nodes[step]
        names = tuple(graph.nodes[0].attrs["variables"])
        before = graph.resolve(node.inputs[0])
        if kind == "wrong_division":
            if node.op != "divide" or node.id != graph.result:
                return None
            lhs, rhs = (_poly(side, names) for side in before.split(" = "))
            (a,), c = lhs.values(), rhs.get((0,) * len(names), Fraction(0))
            if not c or abs(c) == abs(a):
                return None
            wrong = f"{node.output.split(' = ')[0]} = {_number(Fraction(a) / c)}"
            return StepGraph(nodes=[*graph.nodes[:step], _stated(node, wrong)], subgoals=[], result=node.id)
        wrong = self._slipped(node, before, names, kind, rng)
        if wrong is None:
            return None
        nodes = [*graph.nodes[:step], _stated(node, wrong)]
        try:
            nodes = self._run_on(graph, nodes, names)
        except (KeyError, ZeroDivisionError, ValueError):
            return None  # the wrong equation lost a variable: the family's moves do not apply
        if nodes is None or nodes[-1].output == graph.node(graph.result).output:
            return None
        return StepGraph(nodes=nodes, subgoals=[], result=nodes[-1].id)

    @staticmethod
    def _slipped(node: Node, before: str, names: tuple[str, ...], kind: str, rng: random.Random) -> str | None:
        """The equation the node states, made wrong in the way `kind` says."""
        from cotsynth.tasks.families.linear_eq import _split

        if node.group > 1 or node.op not in ("collect", "move_var", "move_const"):
            return None  # errors in the normalization of an equation, which everything after reads
        lhs, rhs = (_poly(side, names) for side in before.split(" = "))
        if kind == "dropped_term" and node.op == "collect":
            side = "left" if node.text.startswith("collect like terms on the left") else "right"
            collected = lhs if side == "left" else rhs
            if len(collected) < 2:
                return None
            dropped = rng.choice(sorted(collected))
            written = _text({m: c for m, c in collected.items() if m != dropped}, names)
            left, right = before.split(" = ")  # the other side stays as it was written
            return f"{written} = {right}" if side == "left" else f"{left} = {written}"
        if kind == "sign_error" and node.op == "move_var":
            moving, staying = _split(rhs)
            return f"{_text(poly_add(lhs, moving), names)} = {_text(staying, names)}"
        if kind == "sign_error" and node.op == "move_const":
            variable, fixed = _split(lhs)
            return f"{_text(variable, names)} = {_text(poly_add(rhs, fixed), names)}"
        return None

    @staticmethod
    def _run_on(graph: StepGraph, nodes: list[Node], names: tuple[str, ...]) -> list[Node] | None:
        """The family's moves from the wrong equation (the last of `nodes`) on: the rest of its
        normalization, then the other equation's as it was, then the solving."""
        from cotsynth.core.arithmetic import format_fraction
        from cotsynth.tasks import get
        from cotsynth.tasks.families.linear_eq import _equation_text, _quotient, _terms

        family = get("linear_eq")
        wrong = nodes[-1]
        source: dict[str, str] = {}

        def add(op: str, inputs: tuple[str, ...], move: str, equation: str, question: str, group: int) -> str:
            inputs = tuple(source.get(i, i) for i in inputs)
            nodes.append(Node(f"n{len(nodes)}", op, inputs, equation, f"{move}: {equation}" if move else equation,
                              question, group))
            return REF + nodes[-1].id

        def subgoal(*_: object) -> None:
            return None

        standard: list[tuple[Poly, str]] = []
        for number, (lhs_items, rhs_items) in enumerate(graph.nodes[0].attrs["equations"]):
            done = [n for n in nodes[:-1] if n.group == number]
            if number < wrong.group:  # normalized before the error: as it was
                last = done[-1] if done else None
                text = last.output if last else _equation_text(_side(lhs_items), _side(rhs_items), names)
                standard.append((_difference(text, names), REF + last.id if last else text))
                continue
            if number == wrong.group:
                lhs, rhs = (_terms(_poly(side, names)) for side in wrong.output.split(" = "))
                source[wrong.output] = REF + wrong.id
                difference, current, _ = family._normalize(lhs, rhs, names, number, wrong.output, add)
                standard.append((difference, source.get(current, current)))
            else:
                lhs, rhs = _side(lhs_items), _side(rhs_items)
                difference, current, _ = family._normalize(lhs, rhs, names, number,
                                                           _equation_text(lhs, rhs, names), add)
                standard.append((difference, current))
        if len(names) == 2:
            return family._eliminate(standard, names, nodes, [], add, subgoal).nodes
        (difference, current), = standard
        a, c = difference[(1,)], -difference.get((0,), 0)
        if a != 1:
            add("divide", (current,), f"divide both sides by {format_fraction(a)}",
                f"x = {format_fraction(_quotient(c, a))}", f"What is x after dividing both sides by {format_fraction(a)}?",
                1)
        return nodes


def _stated(node: Node, equation: str) -> Node:
    """The node stating `equation` after the same move words."""
    move = node.text.rsplit(": ", 1)[0] if ": " in node.text else ""
    return replace(node, output=equation, text=f"{move}: {equation}" if move else equation)


def _poly(text: str, names: tuple[str, ...]) -> Poly:
    from cotsynth.tasks.polynomials import parse_poly

    return parse_poly(text, names)


def _text(poly: Poly, names: tuple[str, ...]) -> str:
    from cotsynth.tasks.polynomials import format_poly

    return format_poly(poly, names) or "0"


def _difference(equation: str, names: tuple[str, ...]) -> Poly:
    from cotsynth.tasks.polynomials import parse_equation

    return parse_equation(equation, names)


def _side(items: list[dict]) -> list:
    """An equation side from its structured form in the graph (`attrs.equations`)."""
    return [(item["k"], {tuple(m): Fraction(c) for m, c in item["terms"]}) for item in items]


def _number(value: Fraction) -> str:
    from cotsynth.core.arithmetic import format_fraction

    return format_fraction(value)
