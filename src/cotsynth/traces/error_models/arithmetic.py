"""Binary arithmetic nodes (arith, countdown, and the graph-generic fallback): calculation slips, a
misread operand, a sign error, a wrong operation."""

from __future__ import annotations

import random
import re
from fractions import Fraction

from cotsynth.core.arithmetic import format_fraction
from cotsynth.core.graph import Node, StepGraph
from cotsynth.traces.error_models.base import (
    ErrorModel, Restated, carry_places, digit_places, misread, number, substitute,
)
from cotsynth.traces.error_models.registry import MODELS, register

OPERATIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b if b else None,
}
WRONG_OPERATION = {"add": ("sub", "mul"), "sub": ("add",), "mul": ("add",), "div": ("mul",)}
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


@register("arith", "countdown")
class ArithmeticModel(ErrorModel):
    """Binary arithmetic nodes: calculation slips, a misread operand, a sign error, a wrong operation."""

    kinds = ("carry_slip", "borrow_slip", "operand_misread", "sign_error", "wrong_operation")

    @staticmethod
    def handles(graph: StepGraph) -> bool:
        return all(n.op in OPERATIONS and len(n.inputs) == 2 for n in graph.nodes)

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        return self._stated(graph, node, inputs, node.op)

    def _stated(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], op: str,
                value: Fraction | None = None) -> Restated | None:
        a, b = (number(v) for v in inputs)
        if a is None or b is None:
            return None
        if value is None:
            value = OPERATIONS[op](a, b)
            if value is None:
                return None
        output = format_fraction(value)
        old_inputs = tuple(graph.resolve(i) for i in node.inputs)
        text = substitute(node.text, old_inputs, inputs, node.output, output)
        if text is not None and op != node.op:
            text = re.sub(rf"\s{re.escape(SYMBOLS[node.op])}\s", f" {SYMBOLS[op]} ", text, count=1)
        return (output, text) if text is not None else None

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        a, b = (number(v) for v in inputs)
        if a is None or b is None:
            return None
        right = OPERATIONS[node.op](a, b)
        if right is None:
            return None
        if kind == "carry_slip" and node.op in ("add", "mul"):
            places = carry_places(a, b) if node.op == "add" else digit_places(right)
            return self._shifted(graph, node, inputs, right, places, -1 if node.op == "add" else rng.choice((-1, 1)), rng)
        if kind == "borrow_slip" and node.op == "sub":
            return self._shifted(graph, node, inputs, right, carry_places(right, b) if a >= b >= 0 else [], 1, rng)
        if kind == "sign_error" and right != 0:
            return self._stated(graph, node, inputs, node.op, -right)
        if kind == "wrong_operation":
            op = rng.choice(WRONG_OPERATION[node.op])
            stated = self._stated(graph, node, inputs, op)
            return stated if stated and number(stated[0]) != right else None
        if kind == "operand_misread":
            position = rng.randrange(2)
            wrong = misread(inputs[position], rng)
            if wrong is None:
                return None
            read = tuple(wrong if k == position else v for k, v in enumerate(inputs))
            stated = self._stated(graph, node, read, node.op)
            return stated if stated and number(stated[0]) != right else None
        return None

    def _shifted(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], right: Fraction, places: list[int],
                 sign: int, rng: random.Random) -> Restated | None:
        if not places or right.denominator != 1:
            return None
        return self._stated(graph, node, inputs, node.op, right + sign * 10 ** rng.choice(places))


MODEL = MODELS["arith"]  # also the graph-generic fallback
