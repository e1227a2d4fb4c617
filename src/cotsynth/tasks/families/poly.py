"""`poly`: polynomials in x: expand a product of two, evaluate one at a point, or differentiate one.

Fine steps are monomial operations (one product of two terms, one sum of like terms, one power and
one scaling per term, one derivative per term), each an identity checked exactly on parsed
polynomials. Generation is integer arithmetic on coefficient dicts; sympy rebuilds the polynomials
from the structured graph (`attrs`) and redoes the operation only in `recompute_answer`.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction
from typing import Any

import sympy

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange
from cotsynth.core.polynomials import Poly, poly_add
from cotsynth.tasks.polynomials import format_poly, parse_poly
from cotsynth.core.arithmetic import UnsafeExpression, check_equation

X = ("x",)
_DERIVATIVE = re.compile(r"^d/dx\s*\((?P<inner>.*)\)\s*=(?P<result>[^=]*)$")
_SX = sympy.Symbol("x")


def _text(poly: Poly) -> str:
    return format_poly(poly, X)


def _term(coef: int, degree: int) -> Poly:
    return {(degree,): Fraction(coef)}


def _bracket(poly: Poly) -> str:
    text = _text(poly)
    return f"({text})" if len(poly) > 1 or text.startswith("-") else text


@register
class PolyFamily(TaskFamily):
    name = "poly"
    description = "Polynomials in x: expand a product, evaluate at a point, or differentiate, term by term."
    answer_type = "expression"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "op": Choice("the operation: expand a product of two polynomials, evaluate one at x = v, "
                     "or differentiate one", ("expand", "evaluate", "differentiate"),
                     ("expand", "evaluate", "differentiate")),
        "degree": IntRange("highest degree of each polynomial", (1, 3), 1, 12),
        "terms": IntRange("nonzero terms of each polynomial (at most degree + 1)", (2, 3), 1, 13),
        "coef": IntRange("largest absolute coefficient", (9, 9), 1, 99),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        op = rng.choice(knobs["op"])
        degree, coef = knobs["degree"], knobs["coef"]
        terms = min(knobs["terms"], degree + 1)
        polys = [self._random_poly(rng, degree, terms, coef) for _ in range(2 if op == "expand" else 1)]
        point = rng.choice([v for v in range(-3, 4) if v]) if op == "evaluate" else 0
        graph, answer = {"expand": self._expand, "evaluate": self._evaluate,
                         "differentiate": self._differentiate}[op](polys, point)
        variables = {"op": op, "polynomial": _text(polys[0]), "product": "".join(f"({_text(p)})" for p in polys),
                     "point": point}
        program = self._program(op, polys, point)
        return Generated(variables=variables, answer=answer, graph=graph, program=program,
                         knobs={"op": op, "terms": terms},
                         answer_type="integer" if op == "evaluate" else "expression")

    @staticmethod
    def _random_poly(rng: random.Random, degree: int, terms: int, coef: int) -> Poly:
        """`terms` nonzero terms whose highest degree is exactly `degree`."""
        degrees = [degree, *rng.sample(range(degree), terms - 1)]
        return {(d,): Fraction(rng.choice([v for v in range(-coef, coef + 1) if v])) for d in degrees}

    @staticmethod
    def _ordered(poly: Poly) -> list[tuple[int, Fraction]]:
        return sorted(((m[0], c) for m, c in poly.items()), reverse=True)

    def _expand(self, polys: list[Poly], point: int) -> tuple[StepGraph, str]:
        """Every term of the first times every term of the second, then like terms summed by degree."""
        p, q = polys
        nodes: list[Node] = []
        by_degree: dict[int, list[tuple[str, Fraction]]] = {}
        attrs = {"op": "expand", "polys": [[[d, str(c)] for d, c in self._ordered(poly)] for poly in polys]}
        for d1, c1 in self._ordered(p):
            for d2, c2 in self._ordered(q):
                left, right, product = _term(c1, d1), _term(c2, d2), _term(c1 * c2, d1 + d2)
                nodes.append(Node(f"m{len(nodes)}", "mul_term", (_text(left), _text(right)), _text(product),
                                  f"{_bracket(left)} · {_bracket(right)} = {_text(product)}",
                                  f"What is {_bracket(left)} · {_bracket(right)}?", 0, attrs if not nodes else {}))
                by_degree.setdefault(d1 + d2, []).append((REF + nodes[-1].id, c1 * c2))
        products = len(nodes)
        collected: Poly = {}
        sources: list[str] = []  # per degree: the product itself, or the node summing its like terms
        for degree in sorted(by_degree, reverse=True):
            parts = by_degree[degree]
            total = sum((c for _, c in parts), Fraction(0))
            if total:
                collected[(degree,)] = total
            if len(parts) == 1:
                sources.append(parts[0][0])
            else:
                summands = " + ".join(_bracket(_term(c, degree)) for _, c in parts)
                result = _text(_term(total, degree)) if total else "0"
                nodes.append(Node(f"c{len(nodes)}", "add_like", tuple(r for r, _ in parts), result,
                                  f"{summands} = {result}", f"What is {summands}?", 1))
                sources.append(REF + nodes[-1].id)
        answer = _text(collected)
        nodes.append(Node("result", "assemble", tuple(sources), answer, f"({_text(p)})({_text(q)}) = {answer}",
                          f"What is ({_text(p)})({_text(q)}) expanded?", 1))
        subgoals = [
            Subgoal(0, tuple(n.id for n in nodes[:products]),
                    f"({_text(p)})({_text(q)}) = " + " + ".join(_bracket(parse_poly(n.output, X)) for n in nodes[:products]),
                    "What are the products of each term of the first factor with each term of the second?", ""),
            Subgoal(1, tuple(n.id for n in nodes[products:]), nodes[-1].text,
                    "What is the product after collecting like terms?", answer),
        ]
        return StepGraph(nodes, subgoals, "result"), answer

    def _evaluate(self, polys: list[Poly], point: int) -> tuple[StepGraph, str]:
        """Per term: the power of the point, then the coefficient times it; then a running sum."""
        (p,) = polys
        nodes: list[Node] = []
        attrs = {"op": "evaluate", "polys": [[[d, str(c)] for d, c in self._ordered(p)]], "point": point}
        shown = f"({point})" if point < 0 else str(point)
        values: list[tuple[str, int]] = []
        for degree, coef in self._ordered(p):
            coef = int(coef)
            if degree == 0:
                values.append((str(coef), coef))
                continue
            power = point**degree
            if degree > 1:
                nodes.append(Node(f"p{len(nodes)}", "pow", (str(point), str(degree)), str(power),
                                  f"{shown}^{degree} = {power}", f"What is {shown}^{degree}?", 0,
                                  attrs if not nodes else {}))
                power_ref, power_text = REF + nodes[-1].id, f"({power})" if power < 0 else str(power)
            else:
                power_ref, power_text = str(point), shown
            nodes.append(Node(f"t{len(nodes)}", "mul", (str(coef), power_ref), str(coef * power),
                              f"{coef} · {power_text} = {coef * power}", f"What is {coef} · {power_text}?", 0,
                              attrs if not nodes else {}))
            values.append((REF + nodes[-1].id, coef * power))
        terms_end = len(nodes)
        running_ref, running = values[0]
        for ref, value in values[1:]:
            shown_value = f"({value})" if value < 0 else str(value)
            nodes.append(Node(f"s{len(nodes)}", "add", (running_ref, ref), str(running + value),
                              f"{running} + {shown_value} = {running + value}",
                              f"What is {running} + {shown_value}?", 1, attrs if not nodes else {}))
            running_ref, running = REF + nodes[-1].id, running + value
        term_values = " + ".join(f"({v})" if v < 0 else str(v) for _, v in values)
        subgoals = [s for s in (
            Subgoal(0, tuple(n.id for n in nodes[:terms_end]), f"the terms at x = {point} are {term_values}",
                    f"What is each term of {_text(p)} at x = {point}?", term_values),
            Subgoal(1, tuple(n.id for n in nodes[terms_end:]), f"{term_values} = {running}",
                    f"What is {term_values}?", str(running)),
        ) if s.node_ids]
        return StepGraph(nodes, subgoals, nodes[-1].id), str(running)

    def _differentiate(self, polys: list[Poly], point: int) -> tuple[StepGraph, str]:
        """The power rule once per term, then the derivatives assembled."""
        (p,) = polys
        nodes: list[Node] = []
        attrs = {"op": "differentiate", "polys": [[[d, str(c)] for d, c in self._ordered(p)]]}
        derivative: Poly = {}
        for degree, coef in self._ordered(p):
            term = _term(int(coef), degree)
            result: Poly = _term(int(coef) * degree, degree - 1) if degree else {}
            derivative = poly_add(derivative, result)
            nodes.append(Node(f"d{len(nodes)}", "diff_term", (_text(term),), _text(result),
                              f"d/dx({_text(term)}) = {_text(result)}", f"What is the derivative of {_text(term)}?",
                              0, attrs if not nodes else {}))
        answer = _text(derivative)
        nodes.append(Node("result", "assemble", tuple(REF + n.id for n in nodes), answer,
                          f"d/dx({_text(p)}) = {answer}", f"What is the derivative of {_text(p)}?", 1))
        subgoals = [Subgoal(0, tuple(n.id for n in nodes), nodes[-1].text, nodes[-1].question, answer)]
        return StepGraph(nodes, subgoals, "result"), answer

    @staticmethod
    def _program(op: str, polys: list[Poly], point: int) -> str:
        """Coefficient lists (index = degree) and the operation on them, in plain integer arithmetic."""
        lists = [[int(poly.get((d,), 0)) for d in range(max(m[0] for m in poly) + 1)] for poly in polys]
        lines = [f"p = {lists[0]}  # p[k] is the coefficient of x^k"]
        if op == "evaluate":
            lines += [f"x = {point}", "print(sum(c * x**k for k, c in enumerate(p)))"]
            return "\n".join(lines) + "\n"
        if op == "expand":
            lines += [f"q = {lists[1]}", "r = [0] * (len(p) + len(q) - 1)",
                      "for i, a in enumerate(p):", "    for j, b in enumerate(q):", "        r[i + j] += a * b"]
        else:
            lines += ["r = [k * c for k, c in enumerate(p)][1:]"]
        lines += [
            "terms = []",
            "for k in range(len(r) - 1, -1, -1):",
            "    c = r[k]",
            "    if c == 0:",
            "        continue",
            "    power = '' if k == 0 else 'x' if k == 1 else f'x^{k}'",
            "    body = str(abs(c)) if abs(c) != 1 or k == 0 else ''",
            "    sign = ('-' if c < 0 else '') if not terms else (' - ' if c < 0 else ' + ')",
            "    terms.append(sign + body + power)",
            "print(''.join(terms) or '0')",
        ]
        return "\n".join(lines) + "\n"

    def recompute_answer(self, graph: StepGraph) -> str:
        """sympy redoes the operation on polynomials rebuilt from the graph's structured attrs."""
        attrs = graph.nodes[0].attrs
        polys = [sympy.Poly.from_dict({(d,): sympy.Rational(c) for d, c in terms}, _SX) for terms in attrs["polys"]]
        op = attrs["op"]
        if op == "evaluate":
            return str(polys[0].eval(attrs["point"]))
        result = polys[0] * polys[1] if op == "expand" else polys[0].diff(_SX)
        coefficients = {(m[0],): Fraction(int(c.p), int(c.q)) for m, c in result.terms() if c}
        return _text(coefficients)

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        claim = step.strip()
        expected = graph.node(node_ids[-1]).output
        if claim.startswith("the terms at"):
            return self._check_terms(graph, claim, node_ids)
        derivative = _DERIVATIVE.match(claim)
        try:
            if derivative:
                inner = parse_poly(derivative.group("inner"), X)
                stated = parse_poly(derivative.group("result"), X)
                if stated != {(d - 1,): c * d for (d,), c in inner.items() if d}:
                    return False, "the derivative is wrong"
            elif "x" in claim:
                lhs, _, rhs = claim.partition("=")
                stated = parse_poly(rhs, X)
                if parse_poly(lhs, X) != stated:
                    return False, "the two sides are different polynomials"
            else:
                holds, reason = check_equation(claim.replace("^", "**"))
                if not holds:
                    return False, reason
                stated = parse_poly(claim.rsplit("=", 1)[1], X)
        except UnsafeExpression as err:
            return False, f"not a polynomial identity: {err}"
        ends = [parse_poly(expected, X)]
        if len(node_ids) > 1:  # a coarse step may also state the sum of its nodes' outputs
            total: Poly = {}
            for node_id in node_ids:
                total = poly_add(total, parse_poly(graph.node(node_id).output, X))
            ends.append(total)
        if stated not in ends:
            return False, f"step ends in {claim.rsplit('=', 1)[1].strip()}, the graph has {expected}"
        return True, "holds"

    @staticmethod
    def _check_terms(graph: StepGraph, claim: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        """`the terms at x = v are a + b + c`: each term of the polynomial evaluated at v."""
        attrs = graph.nodes[0].attrs
        match = re.match(r"^the terms at x = (-?\d+) are (.*)$", claim)
        if not match or int(match.group(1)) != attrs["point"]:
            return False, "does not state the terms at the point"
        stated = [part.strip().strip("()") for part in match.group(2).split(" + ")]
        actual = [str(int(Fraction(c)) * attrs["point"] ** d) for d, c in attrs["polys"][0]]
        return (True, "holds") if stated == actual else (False, f"terms are {actual}, step says {stated}")
