"""`linear_eq`: one linear equation in x, or a 2×2 linear system in x and y, solved by algebraic moves.

A problem is built backwards from an integer solution: the standard form (`a·x + b·y = c`) is drawn
first, then disguised by random chunks (plain terms and bracketed `k(...)` terms) on both sides plus
the fix-up terms that keep the solution. The fine CoT undoes the disguise one move at a time
(expand a bracket, collect a side, move the variable terms, move the constant, divide; for a system
also scale, eliminate and substitute back), and every move states an equation that still holds.
Generation, step checks and `recompute_answer` (which solves the original equations again, forward,
from their structured form in the graph) are exact integer/`Fraction` arithmetic on linear forms.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from functools import lru_cache
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange
from cotsynth.core.polynomials import Poly, constant, poly_add, poly_scale
from cotsynth.tasks.polynomials import format_poly, monomial_text, parse_equation, term_order
from cotsynth.core.arithmetic import UnsafeExpression, format_fraction

SOLUTION_RANGE = 10
VARIABLES = {"single": ("x",), "system": ("x", "y")}

# One item of an equation side: (k, poly) is the bracket k(poly), or a plain term when k is None.
Item = tuple[int | None, Poly]
Side = list[Item]


def _side_poly(side: Side) -> Poly:
    total: Poly = {}
    for k, poly in side:  # summed in place: poly_add copies the running total once per item
        for mono, coef in poly.items():
            total[mono] = total.get(mono, 0) + (coef if k is None else coef * k)
    return {m: c for m, c in total.items() if c}


def _side_text(side: Side, names: tuple[str, ...]) -> str:
    parts = []
    for k, poly in side:
        if k is None and len(poly) == 1:  # nearly every item: one term, formatted straight from the cache
            ((mono, coef),) = poly.items()
            negative = coef < 0
            text = monomial_text(coef, mono, names, True)
            body = text[1:] if negative else text
        elif k is None:
            text, negative = format_poly(poly, names), next(iter(poly.values())) < 0 if poly else False
            body = text[1:] if negative else text
        else:
            negative = k < 0
            body = f"{'' if abs(k) == 1 else abs(k)}({format_poly(poly, names)})"
        if not parts:
            parts.append(f"-{body}" if negative else body)
        else:
            parts.append(f" - {body}" if negative else f" + {body}")
    return "".join(parts) or "0"


def _equation_text(lhs: Side, rhs: Side, names: tuple[str, ...]) -> str:
    return f"{_side_text(lhs, names)} = {_side_text(rhs, names)}"


def _terms(poly: Poly) -> Side:
    """A collected polynomial as plain one-monomial items, in canonical order."""
    order = sorted(poly, key=term_order)
    return [(None, {m: poly[m]}) for m in order]


def _split(poly: Poly) -> tuple[Poly, Poly]:
    """(variable part, constant part)."""
    variable = {m: c for m, c in poly.items() if any(m)}
    return variable, {m: c for m, c in poly.items() if not any(m)}


@lru_cache(maxsize=None)
def _values(coef: int, low: int, without_one: bool = False) -> tuple[int, ...]:
    """The values in [-coef, coef] with |v| >= low (and v != 1), in the order they were always drawn
    from: built once per knob setting instead of once per draw."""
    return tuple(v for v in range(-coef, coef + 1) if abs(v) >= low and not (without_one and v == 1))


@lru_cache(maxsize=None)
def _unit(var: int, n: int) -> tuple[int, ...]:
    """The exponent tuple of variable number `var` alone."""
    return tuple(int(j == var) for j in range(n))


def _to_json(side: Side) -> list[dict[str, Any]]:
    return [{"k": k, "terms": [[list(m), str(c)] for m, c in poly.items()]} for k, poly in side]


def _rational(text: str) -> int | Fraction:
    """`int` for integer text (equal to its Fraction, and far cheaper), else a Fraction."""
    return int(text) if text.lstrip("-").isdigit() else Fraction(text)


@lru_cache(maxsize=1024)
def _point(solution: tuple[str, ...]) -> tuple[int | Fraction, ...]:
    """The solution as numbers, read once for all the steps checked at it."""
    return tuple(_rational(v) for v in solution)


def _solve(rows: list[list[int | Fraction]]) -> list[Fraction] | None:
    """The unique solution of the augmented system `rows` ([a, b, ..., c] for a·x + b·y + ... = c) by
    fraction-free Gauss-Jordan elimination, exactly; None when it has no unique solution."""
    n = len(rows)
    rows = [list(row) for row in rows]
    for col in range(n):
        pivot = next((r for r in range(col, n) if rows[r][col]), None)
        if pivot is None:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col]:
                p, f = rows[col][col], rows[r][col]
                rows[r] = [p * a - f * b for a, b in zip(rows[r], rows[col])]
    return [Fraction(rows[i][n], rows[i][i]) for i in range(n)]


@register
class LinearEq(TaskFamily):
    name = "linear_eq"
    description = "A linear equation in x, or a 2×2 linear system, solved by expand/collect/move/divide moves."
    answer_type = "rational"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "kind": Choice("`single`: one equation in x; `system`: two equations in x and y", ("single", "system"),
                       ("single", "system")),
        "terms": IntRange("random chunks per equation, before the fix-up terms that pin the solution", (2, 3), 1, 8),
        "brackets": IntRange("how many of those chunks are bracketed k(...) and need expanding (at most terms)",
                             (0, 1), 0, 8),
        "coef": IntRange("largest absolute coefficient", (2, 9), 2, 99),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        kind = rng.choice(knobs["kind"])
        names = VARIABLES[kind]
        n, coef = len(names), knobs["coef"]
        solution = tuple(rng.randint(-SOLUTION_RANGE, SOLUTION_RANGE) for _ in names)
        targets = self._targets(rng, n, coef, solution)
        equations = [self._disguise(rng, t, n, knobs["terms"], min(knobs["brackets"], knobs["terms"]), coef)
                     for t in targets]
        texts = [_equation_text(lhs, rhs, names) for lhs, rhs in equations]
        program = self._program(equations, texts, names)
        graph = self._graph([(list(lhs), list(rhs)) for lhs, rhs in equations], texts, names, solution)  # moves edit sides
        if kind == "single":
            answer, answer_type = format_fraction(solution[0]), "rational"
        else:
            answer, answer_type = f"({solution[0]}, {solution[1]})", "tuple"
        return Generated(
            variables={"kind": kind, "equations": texts, "equation": texts[0]},
            answer=answer,
            graph=graph,
            program=program,
            knobs={"kind": kind},
            answer_type=answer_type,
        )

    @staticmethod
    def _targets(rng: random.Random, n: int, coef: int, solution: tuple[int, ...]) -> list[Poly]:
        """The standard forms `a·x (+ b·y) - c = 0`, nonzero coefficients, a unique solution."""

        def nonzero(low: int = 1) -> int:
            return rng.choice(_values(coef, low))

        while True:
            rows = [[nonzero(2 if n == 1 else 1) for _ in range(n)] for _ in range(n)]
            if n == 1 or rows[0][0] * rows[1][1] != rows[0][1] * rows[1][0]:
                break
        targets = []
        for row in rows:
            poly: Poly = {_unit(i, n): a for i, a in enumerate(row)}
            targets.append(poly_add(poly, constant(-sum(a * s for a, s in zip(row, solution)), n)))
        return targets

    @staticmethod
    def _disguise(rng: random.Random, target: Poly, n: int, terms: int, brackets: int, coef: int) -> tuple[Side, Side]:
        """Random chunks on random sides, then fix-up terms so that lhs - rhs == target."""

        def value() -> int:
            return rng.choice(_values(coef, 1))

        def monomial(var: int | None) -> Poly:
            return {_unit(var, n) if var is not None else (0,) * n: value()}

        lhs: Side = []
        rhs: Side = []
        bracketed = set(rng.sample(range(terms), brackets))
        for index in range(terms):
            if index in bracketed:
                inner = poly_add(monomial(rng.randrange(n)), monomial(None))
                k = rng.choice(_values(coef, 1, without_one=True))
                item: Item = (k, inner)
            else:
                item = (None, monomial(rng.choice([None, *range(n)])))
            (lhs if rng.random() < 0.5 else rhs).append(item)
        residual = poly_add(target, poly_add(_side_poly(lhs), _side_poly(rhs), -1), -1)
        variable, const = _split(residual)
        for mono in sorted(variable, reverse=True):
            lhs.insert(rng.randint(0, len(lhs)), (None, {mono: variable[mono]}))
        if const:
            rhs.insert(rng.randint(0, len(rhs)), (None, poly_scale(const, -1)))
        return lhs, rhs

    def _graph(self, equations: list[tuple[Side, Side]], texts: list[str], names: tuple[str, ...],
               solution: tuple[int, ...]) -> StepGraph:
        n = len(names)
        nodes: list[Node] = []
        subgoals: list[Subgoal] = []
        attrs = {"equations": [[_to_json(lhs), _to_json(rhs)] for lhs, rhs in equations], "variables": list(names),
                 "solution": [str(v) for v in solution]}  # what steps are checked at; recompute confirms it

        def add(op: str, inputs: tuple[str, ...], move: str, equation: str, question: str, group: int) -> str:
            text = f"{move}: {equation}" if move else equation
            nodes.append(Node(f"n{len(nodes)}", op, inputs, equation, text, question, group,
                              attrs if not nodes else {}))
            return REF + nodes[-1].id

        def subgoal(group: int, start: int, text: str, question: str) -> None:
            ids = tuple(node.id for node in nodes[start:])
            if ids:
                subgoals.append(Subgoal(group, ids, text, question, text))

        standard: list[tuple[Poly, str]] = []  # each equation's `variables = constant` form and its ref
        for number, ((lhs, rhs), text) in enumerate(zip(equations, texts)):
            label = f" ({number + 1})" if n > 1 else ""
            start = len(nodes)
            lhs, rhs, current, text = self._normalize(lhs, rhs, names, number, text, add)
            standard.append((poly_add(_side_poly(lhs), _side_poly(rhs), -1), current))
            subgoal(number, start, text,
                    f"What is equation{label} in the form ax + by = c?" if n > 1
                    else "What is the equation in the form ax = c?")
            if n == 1:
                a, c = standard[0][0][(1,)], -standard[0][0].get((0,), 0)
                start = len(nodes)
                if a != 1:
                    add("divide", (current,), f"divide both sides by {format_fraction(a)}",
                        f"x = {format_fraction(Fraction(c, a))}", f"What is x after dividing both sides by {format_fraction(a)}?", 1)
                subgoal(1, start, f"x = {format_fraction(Fraction(c, a))}", "What is x?")
                return StepGraph(nodes, subgoals, nodes[-1].id)
        return self._eliminate(standard, names, nodes, subgoals, add, subgoal)

    def _normalize(self, lhs: Side, rhs: Side, names: tuple[str, ...], group: int, text: str, add: Any):
        """Expand, collect, move variables left and constants right; one node per move that changes anything.
        `text` is the equation as it reads: each move re-texts only the side it changed. Returns the
        normalized sides, the ref of the last move (or the original text) and the equation's final text."""
        current = text
        sides = dict(zip(("left", "right"), text.split(" = ")))  # a side's text never holds " = "

        def retext(side_name: str, side: Side) -> str:
            sides[side_name] = _side_text(side, names)
            return f"{sides['left']} = {sides['right']}"

        for side_name, side in (("left", lhs), ("right", rhs)):
            while any(k is not None for k, _ in side):
                position = next(i for i, (k, _) in enumerate(side) if k is not None)
                k, poly = side[position]
                side[position:position + 1] = _terms(poly_scale(poly, k))
                factor = "-" if k == -1 else str(k)
                text = retext(side_name, side)
                current = add("expand", (current,), f"expand {factor}({format_poly(poly, names)}) on the {side_name}",
                              text, f"What does the equation become after expanding the bracket on the {side_name}?",
                              group)
        for side_name, side in (("left", lhs), ("right", rhs)):
            collected = _terms(_side_poly(side))
            if _side_text(collected, names) != sides[side_name]:
                side[:] = collected
                text = retext(side_name, side)
                current = add("collect", (current,), f"collect like terms on the {side_name}", text,
                              f"What does the {side_name} side become after collecting like terms?", group)
        moving, staying = _split(_side_poly(rhs))
        if moving:
            lhs[:] = _terms(poly_add(_side_poly(lhs), moving, -1))
            rhs[:] = _terms(staying)
            retext("left", lhs)
            text = retext("right", rhs)
            current = add("move_var", (current,), _move_words(moving, names), text,
                          "What is the equation with every variable term on the left?", group)
        variable, fixed = _split(_side_poly(lhs))
        if fixed:
            lhs[:] = _terms(variable)
            rhs[:] = _terms(poly_add(_side_poly(rhs), fixed, -1))
            retext("left", lhs)
            text = retext("right", rhs)
            current = add("move_const", (current,), _move_words(fixed, names), text,
                          "What is the equation with the constant on the right?", group)
        return lhs, rhs, current, text

    def _eliminate(self, standard, names, nodes, subgoals, add, subgoal) -> StepGraph:
        """Scale both equations so x cancels, subtract, solve for y, substitute back, solve for x."""
        (e1, ref1), (e2, ref2) = standard
        a1, a2 = e1[(1, 0)], e2[(1, 0)]
        lcm = math.lcm(int(abs(a1)), int(abs(a2)))
        m1, m2 = lcm // a1, lcm // a2  # exact: both divide the lcm
        start = len(nodes)
        scaled = []
        for label, eq, ref, m in (("1", e1, ref1, m1), ("2", e2, ref2, m2)):
            if m != 1:
                eq = poly_scale(eq, m)
                ref = add("scale", (ref,), f"multiply equation ({label}) by {format_fraction(m)}", _standard_text(eq, names),
                          f"What is equation ({label}) multiplied by {format_fraction(m)}?", 2)
            scaled.append((eq, ref))
        difference = poly_add(scaled[0][0], scaled[1][0], -1)
        ref = add("eliminate", (scaled[0][1], scaled[1][1]), "subtract the second from the first to eliminate x",
                  _standard_text(difference, names), "What is left after subtracting the equations to eliminate x?", 2)
        b, c = difference[(0, 1)], -difference.get((0, 0), 0)
        y = Fraction(c, b)
        if b != 1:
            ref = add("divide", (ref,), f"divide both sides by {format_fraction(b)}", f"y = {format_fraction(y)}",
                      f"What is y after dividing both sides by {format_fraction(b)}?", 2)
        subgoal(2, start, f"y = {format_fraction(y)}", "What is y, after eliminating x?")
        start = len(nodes)
        a, b1, c1 = e1[(1, 0)], e1[(0, 1)], -e1.get((0, 0), 0)
        value = f"({format_fraction(y)})" if y < 0 or y.denominator != 1 else format_fraction(y)
        substituted = f"{_coef(a, 'x')} {'-' if b1 < 0 else '+'} {format_fraction(abs(b1))} · {value} = {format_fraction(c1)}"
        ref = add("substitute", (ref, ref1), f"substitute y = {format_fraction(y)} into equation (1)", substituted,
                  "What does equation (1) say once y is known?", 3)
        rest = c1 - b1 * y
        if b1 * y:
            ref = add("move_const", (ref,), _move_words(constant(b1 * y, 2), names), f"{_coef(a, 'x')} = {format_fraction(rest)}",
                      "What is the equation with the constant on the right?", 3)
        if a != 1:
            add("divide", (ref,), f"divide both sides by {format_fraction(a)}", f"x = {format_fraction(Fraction(rest, a))}",
                f"What is x after dividing both sides by {format_fraction(a)}?", 3)
        subgoal(3, start, f"x = {format_fraction(Fraction(rest, a))}", "What is x, once y is known?")
        return StepGraph(nodes, subgoals, nodes[-1].id)

    @staticmethod
    def _program(equations: list[tuple[Side, Side]], texts: list[str], names: tuple[str, ...]) -> str:
        """Cramer's rule on the collected coefficients, in Fraction arithmetic."""
        n = len(names)
        rows = []
        for lhs, rhs in equations:
            poly = poly_add(_side_poly(lhs), _side_poly(rhs), -1)
            coefs = [format_fraction(poly.get(_unit(i, n), 0)) for i in range(n)]
            rows.append((coefs, format_fraction(-poly.get((0,) * n, 0))))
        lines = ["from fractions import Fraction", ""]
        lines += [f"# {text}" for text in texts]
        if n == 1:
            (a,), c = rows[0]
            lines += [f"a, c = Fraction({a}), Fraction({c})  # a*x = c", "print(c / a)"]
        else:
            (a1, b1), c1 = rows[0]
            (a2, b2), c2 = rows[1]
            lines += [
                f"a1, b1, c1 = Fraction({a1}), Fraction({b1}), Fraction({c1})  # a1*x + b1*y = c1",
                f"a2, b2, c2 = Fraction({a2}), Fraction({b2}), Fraction({c2})  # a2*x + b2*y = c2",
                "det = a1 * b2 - b1 * a2",
                "x = (c1 * b2 - b1 * c2) / det",
                "y = (a1 * c2 - c1 * a2) / det",
                'print(f"({x}, {y})")',
            ]
        return "\n".join(lines) + "\n"

    def recompute_answer(self, graph: StepGraph) -> str:
        """The original equations' coefficients summed afresh from their structured form (brackets
        multiplied out term by term, no step of the CoT reused) and the system solved forward, exactly,
        by Gauss-Jordan elimination; the solution the steps are checked at must agree. Independent of
        how the problem was made: generation never solves anything (it picks the solution and builds
        the equations backwards), the CoT's elimination works on the normalized forms and the `code`
        trace uses Cramer's rule; exact rationals need no sympy (a third of this check's time)."""
        attrs = graph.nodes[0].attrs
        n = len(attrs["variables"])
        unit = [tuple(int(j == i) for j in range(n)) for i in range(n)]
        rows = []
        for lhs_items, rhs_items in attrs["equations"]:
            coefficients: dict[tuple[int, ...], int | Fraction] = {m: 0 for m in [*unit, (0,) * n]}
            for sign, items in ((1, lhs_items), (-1, rhs_items)):
                for item in items:
                    factor = sign * (1 if item["k"] is None else item["k"])
                    for mono, coef in item["terms"]:
                        coefficients[tuple(mono)] += factor * _rational(coef)
            rows.append([coefficients[u] for u in unit] + [-coefficients[(0,) * n]])
        found = _solve(rows)
        if found is None:
            return "invalid: the equations have no unique solution"
        if found != [_rational(v) for v in attrs["solution"]]:
            return f"invalid: the graph's solution {attrs['solution']} is not the equations' {found}"
        texts = [format_fraction(v) for v in found]
        return texts[0] if len(texts) == 1 else f"({texts[0]}, {texts[1]})"

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        """The stated equation is linear, still holds at the solution of the original equations (for one
        unknown: has the same solution set), and is the equation its graph node states."""
        attrs = graph.nodes[0].attrs
        equation = step.rsplit(": ", 1)[-1]
        node_equation = graph.node(node_ids[-1]).output
        try:
            stated = parse_equation(equation, variables := tuple(attrs["variables"]))
            if equation != node_equation and stated != parse_equation(node_equation, variables):
                return False, f"states {equation}, the graph has {node_equation}"
        except UnsafeExpression as err:
            return False, f"not a linear equation: {err}"
        point = _point(tuple(attrs["solution"]))
        residual, variable = 0, False
        for mono, coef in stated.items():  # one pass: degree, a variable term, the value at the solution
            degree = sum(mono)
            if degree > 1:
                return False, "not linear"
            if degree:
                variable = True
                coef *= point[mono.index(1)]
            residual += coef
        if not variable:
            return False, "states no variable"
        if residual != 0:
            return False, "does not hold at the solution of the original equations"
        return True, "holds"


def _coef(a: Fraction, name: str) -> str:
    """`3x`, `-x`, `x`."""
    if abs(a) == 1:
        return f"-{name}" if a < 0 else name
    return f"{format_fraction(a)}{name}"


def _standard_text(poly: Poly, names: tuple[str, ...]) -> str:
    variable, const = _split(poly)
    return f"{format_poly(variable, names)} = {format_fraction(-const.get((0,) * len(names), Fraction(0)))}"


def _move_words(amount: Poly, names: tuple[str, ...]) -> str:
    """`subtract 2x from both sides`, `add 5 to both sides`, `subtract (2x - 3y) from both sides`."""
    if len(amount) == 1 and next(iter(amount.values())) < 0:
        return f"add {format_poly(poly_scale(amount, -1), names)} to both sides"
    text = format_poly(amount, names)
    return f"subtract {f'({text})' if len(amount) > 1 else text} from both sides"
