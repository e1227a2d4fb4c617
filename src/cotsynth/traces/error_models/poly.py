"""poly: a sign error in a product or power ((-2)^2 = -4), a wrong exponent (exponents multiplied
instead of added, a power one off, a derivative that keeps its exponent), a coefficient slip
(coefficients added instead of multiplied, a derivative's coefficient not multiplied by the
exponent), and a dropped term in a sum of like terms or the assembled result. The later sums and
the result are taken over the terms as stated."""

from __future__ import annotations

import random

from cotsynth.core.graph import Node, StepGraph
from cotsynth.core.polynomials import Poly, poly_add
from cotsynth.traces.error_models.base import ErrorModel, Restated
from cotsynth.traces.error_models.registry import register

X = ("x",)


def _poly(text: str) -> Poly:
    from cotsynth.tasks.polynomials import parse_poly

    return parse_poly(text, X)


def _text(poly: Poly) -> str:
    from cotsynth.tasks.families.poly import _text

    return _text(poly) if poly else "0"


def _bracket(poly: Poly) -> str:
    from cotsynth.tasks.families.poly import _bracket

    return _bracket(poly) if poly else "0"


def _shown(value: int) -> str:
    return f"({value})" if value < 0 else str(value)


def _total(polys: list[Poly]) -> Poly:
    total: Poly = {}
    for poly in polys:
        total = poly_add(total, poly)
    return total


@register("poly")
class PolyModel(ErrorModel):
    kinds = ("sign_error", "exponent_error", "coefficient_slip", "dropped_term")

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        return self._stated(node, inputs, None)

    def _stated(self, node: Node, inputs: tuple[str, ...], value: Poly | int | None) -> Restated | None:
        """The node's step over `inputs`, stating `value` (the right one when None)."""
        if node.op == "pow":
            point, degree = int(inputs[0]), int(inputs[1])
            value = point**degree if value is None else value
            return str(value), f"{_shown(point)}^{degree} = {value}"
        if node.op in ("mul", "add"):
            a, b = int(inputs[0]), int(inputs[1])
            value = (a * b if node.op == "mul" else a + b) if value is None else value
            return str(value), f"{a} {'·' if node.op == 'mul' else '+'} {_shown(b)} = {value}"
        polys = [_poly(i) for i in inputs]
        if node.op == "mul_term":
            (m1, c1), = polys[0].items()
            (m2, c2), = polys[1].items()
            value = {(m1[0] + m2[0],): c1 * c2} if value is None else value
            return _text(value), f"{_bracket(polys[0])} · {_bracket(polys[1])} = {_text(value)}"
        if node.op == "diff_term":
            ((degree,), coef), = polys[0].items()
            value = ({(degree - 1,): coef * degree} if degree else {}) if value is None else value
            return _text(value), f"d/dx({inputs[0]}) = {_text(value)}"
        value = _total(polys) if value is None else value
        if node.op == "add_like":
            return _text(value), " + ".join(_bracket(p) for p in polys) + f" = {_text(value)}"
        return _text(value), f"{node.text.rsplit(' = ', 1)[0]} = {_text(value)}"  # assemble: the problem = result

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        right = self._stated(node, inputs, None)
        wrong = self._wrong(node, inputs, kind, rng)
        if wrong is None:
            return None
        stated = self._stated(node, inputs, wrong)
        return stated if stated and stated[0] != right[0] else None

    def _wrong(self, node: Node, inputs: tuple[str, ...], kind: str, rng: random.Random) -> Poly | int | None:
        if node.op in ("pow", "mul", "add"):
            a, b = int(inputs[0]), int(inputs[1])
            right = a**b if node.op == "pow" else a * b if node.op == "mul" else a + b
            if kind == "sign_error":
                return a - b if node.op == "add" else -right  # a negative term added as positive; a sign lost
            if kind == "exponent_error" and node.op == "pow":
                return a ** (b + rng.choice((-1, 1)))
            if kind == "coefficient_slip" and node.op == "mul":
                return a + b  # added instead of multiplied
            return None
        polys = [_poly(i) for i in inputs]
        if node.op == "mul_term":
            ((d1,), c1), = polys[0].items()
            ((d2,), c2), = polys[1].items()
            return {"sign_error": {(d1 + d2,): -c1 * c2}, "exponent_error": {(d1 * d2,): c1 * c2},
                    "coefficient_slip": {(d1 + d2,): c1 + c2}}.get(kind)
        if node.op == "diff_term":
            ((degree,), coef), = polys[0].items()
            if not degree:
                return None
            return {"sign_error": {(degree - 1,): -coef * degree}, "exponent_error": {(degree,): coef * degree},
                    "coefficient_slip": {(degree - 1,): coef}}.get(kind)
        if kind == "dropped_term" and node.op in ("add_like", "assemble"):
            total = _total(polys)
            if len(total) < 2 and node.op == "assemble":
                return None
            if node.op == "add_like":
                keep = rng.randrange(len(polys))
                return _total([p for k, p in enumerate(polys) if k != keep])
            dropped = rng.choice(sorted(total))
            return {m: c for m, c in total.items() if m != dropped}
        return None

