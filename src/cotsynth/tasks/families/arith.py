"""`arith`: multi-step arithmetic over integers, and exact fractions when division is allowed.

The expression is a random binary tree; its operations, in evaluation order, are the graph's nodes.
Generation uses `Fraction` (fast, exact); the independent recomputation in `recompute_answer` uses
sympy on the graph alone, so a generator bug cannot agree with itself.
"""

from __future__ import annotations

import operator
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange
from cotsynth.core.arithmetic import check_equation, format_fraction, parse_number

SYMBOL = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_SYMBOL_OF = {op: symbol for symbol, op in SYMBOL.items()}
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_APPLY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": lambda a, b: _exact(Fraction(a, b))}
_SYMPY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@dataclass
class Expr:
    """A node of an expression tree (also `countdown`'s): a leaf (op None) or an operation."""

    value: int | Fraction  # int while integral: the same value, much cheaper
    op: str | None = None
    left: "Expr | None" = None
    right: "Expr | None" = None

    def text(self) -> str:
        if self.op is None:
            return format_fraction(self.value)
        return f"{self._child(self.left, False)} {self.op} {self._child(self.right, True)}"

    def _child(self, child: "Expr", is_right: bool) -> str:
        text = child.text()
        if child.op is None:
            return text
        weaker = PRECEDENCE[child.op] < PRECEDENCE[self.op]
        # a right operand of equal precedence is bracketed so that reading left to right
        # evaluates in the same order as the graph.
        return f"({text})" if weaker or (is_right and PRECEDENCE[child.op] == PRECEDENCE[self.op]) else text


def _operand(value: Fraction) -> str:
    """A value as an operand in a step: negatives and fractions bracketed so the step parses right."""
    text = format_fraction(value)
    return f"({text})" if value < 0 or value.denominator != 1 else text


def expression_graph(root: Expr) -> StepGraph:
    """Nodes in evaluation order; subgoals: each operand of the root that is an operation, then the root."""
    nodes: list[Node] = []
    refs: dict[int, str] = {}

    def visit(expr: Expr, group: int) -> str:
        """Post-order: children first, so nodes come in evaluation order. Returns an input ref."""
        if expr.op is None:
            return format_fraction(expr.value)
        if id(expr) in refs:
            return refs[id(expr)]
        inputs = (visit(expr.left, group), visit(expr.right, group))
        a, b = expr.left.value, expr.right.value
        node_id = f"n{len(nodes)}"
        nodes.append(
            Node(
                id=node_id,
                op=SYMBOL[expr.op],
                inputs=inputs,
                output=format_fraction(expr.value),
                text=f"{_operand(a)} {expr.op} {_operand(b)} = {format_fraction(expr.value)}",
                question=f"What is {_operand(a)} {expr.op} {_operand(b)}?",
                group=group,
            )
        )
        refs[id(expr)] = REF + node_id
        return refs[id(expr)]

    # Subgoals: each operand of the root that is itself an operation, then the root.
    subgoals = []
    for group, child in enumerate((root.left, root.right)):
        if child is not None and child.op is not None:
            start = len(nodes)
            visit(child, group)
            covered = tuple(n.id for n in nodes[start:])
            value = format_fraction(child.value)
            subgoals.append(Subgoal(group, covered, f"{child.text()} = {value}", f"What is {child.text()}?", value))
    visit(root, 2)
    top = nodes[-1]
    subgoals.append(Subgoal(2, (top.id,), top.text, top.question, top.output))
    return StepGraph(nodes=nodes, subgoals=subgoals, result=top.id)


_OPERAND = r"(-?\d+|\(-?\d+(?:/\d+)?\))"
_ONE_OPERATION = re.compile(rf"^{_OPERAND} ([-+*/×]) {_OPERAND} = (-?\d+(?:/\d+)?)$")


def _one_operation(step: str) -> tuple[bool, str] | None:
    """Fast path for the shape every fine step has, `a op b = c` (fractions and negatives bracketed):
    a regex and three Fractions instead of an `ast` walk. None when the step has another shape."""
    match = _ONE_OPERATION.match(step.strip())
    if not match:
        return None
    a, op, b, c = (match.group(k) for k in (1, 2, 3, 4))
    left, right = (_number(t.strip("()")) for t in (a, b))
    if op == "/" and right == 0:
        return False, "division by zero"
    value = _APPLY["*" if op == "×" else op](left, right)
    return (True, "holds") if value == _number(c) else (False, f"left side is {format_fraction(value)}, right side is {c}")


def _number(text: str) -> int | Fraction:
    return int(text) if "/" not in text else Fraction(text)


def _exact(value: Fraction) -> int | Fraction:
    """Integers stay `int` (a Fraction costs microseconds per operation), equal either way."""
    return value.numerator if value.denominator == 1 else value


def check_arithmetic_step(graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
    """The step is a true equation and ends in its graph node's output."""
    holds, reason = _one_operation(step) or check_equation(step)
    if not holds:
        return False, reason
    stated = step.rsplit("=", 1)[1].strip()
    expected = graph.node(node_ids[-1]).output
    if stated != expected and parse_number(stated) != parse_number(expected):
        return False, f"step claims {stated}, graph has {expected}"
    return True, "holds"


@register
class Arith(TaskFamily):
    name = "arith"
    description = "Multi-step arithmetic expressions; exact fractions when division is allowed."
    answer_type = "rational"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "steps": IntRange("number of operations in the expression (raised to depth + 1 if lower)", (2, 4), 1, 16),
        "depth": IntRange("parenthesis nesting depth, exactly: 0 is bracket-free, 2 is `a * (b - (c + d))`",
                          (0, 1), 0, 8),
        "digits": IntRange("digits of each operand", (1, 2), 1, 9),
        "ops": Choice("operators the expression may use", ("+", "-", "*"), ("+", "-", "*", "/")),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        n_ops = max(knobs["steps"], knobs["depth"] + 1)
        tree = self._tree(rng, n_ops, knobs["depth"], knobs["digits"], knobs["ops"])
        graph = expression_graph(tree)
        return Generated(
            variables={"expression": tree.text(), "has_division": "/" in knobs["ops"]},
            answer=format_fraction(tree.value),
            graph=graph,
            program=self._program(graph),
            knobs={"steps": n_ops},
        )

    @staticmethod
    def _program(graph: StepGraph) -> str:
        """One assignment per graph node, in Fraction arithmetic so that `/` stays exact."""

        def operand(text: str) -> str:
            return text[1:] if text.startswith(REF) else f"Fraction({text})"

        lines = ["from fractions import Fraction", ""]
        for node in graph.nodes:
            a, b = (operand(i) for i in node.inputs)
            lines.append(f"{node.id} = {a} {_SYMBOL_OF[node.op]} {b}")
        lines.append(f"print({graph.result})")
        return "\n".join(lines) + "\n"

    def _tree(self, rng: random.Random, n_ops: int, depth: int, digits: int, ops: tuple[str, ...]) -> Expr:
        """A tree of `n_ops` operations whose brackets nest exactly `depth` deep.

        A division by zero (a bracket that evaluates to 0) redraws the whole tree from the same rng.
        """
        while True:
            try:
                return self._nested(rng, n_ops, depth, digits, ops)
            except ZeroDivisionError:
                continue

    def _nested(self, rng: random.Random, n_ops: int, depth: int, digits: int, ops: tuple[str, ...]) -> Expr:
        if depth == 0:
            return self._flat(rng, n_ops, digits, ops)
        inner_ops = rng.randint(depth, n_ops - 1)  # the bracketed part needs `depth` ops to nest depth-1 deep
        inner = self._nested(rng, inner_ops, depth - 1, digits, ops)
        other = self._flat(rng, n_ops - 1 - inner_ops, digits, ops)
        # (op, inner on the right?) pairs that make the inner part need its brackets
        placements = [(op, right) for op in ops for right in (False, True)
                      if PRECEDENCE[inner.op] < PRECEDENCE[op] or (right and PRECEDENCE[inner.op] == PRECEDENCE[op])]
        op, right = rng.choice(placements)
        left_part, right_part = (other, inner) if right else (inner, other)
        return Expr(_APPLY[op](left_part.value, right_part.value), op, left_part, right_part)

    def _flat(self, rng: random.Random, n_ops: int, digits: int, ops: tuple[str, ...]) -> Expr:
        """A bracket-free expression: a random token sequence parsed with the usual precedence."""
        low = 1 if digits == 1 else 10 ** (digits - 1)
        operands = [Expr(rng.randint(low, 10**digits - 1)) for _ in range(n_ops + 1)]
        operators = [rng.choice(ops) for _ in range(n_ops)]
        terms, signs = [operands[0]], []
        for op, operand in zip(operators, operands[1:]):
            if PRECEDENCE[op] == 2:
                last = terms[-1]
                terms[-1] = Expr(_APPLY[op](last.value, operand.value), op, last, operand)
            else:
                signs.append(op)
                terms.append(operand)
        total = terms[0]
        for op, term in zip(signs, terms[1:]):
            total = Expr(_APPLY[op](total.value, term.value), op, total, term)
        return total

    def recompute_answer(self, graph: StepGraph) -> str:
        values: dict[str, sympy.Rational] = {}

        def value(text: str) -> sympy.Rational:
            if text.startswith(REF):
                return values[text[1:]]
            number = _number(text)
            return sympy.Rational(number.numerator, number.denominator)

        for node in graph.nodes:
            values[node.id] = _SYMPY_OPS[node.op](*(value(i) for i in node.inputs))
        result = sympy.Rational(values[graph.result])
        return format_fraction(Fraction(int(result.p), int(result.q)))

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        return check_arithmetic_step(graph, step, node_ids)
