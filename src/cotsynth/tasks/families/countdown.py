"""`countdown`: reach a target from given numbers with + - * / (24-game, GeneralPoints).

A problem is built the way the game is played: two numbers are combined at a time, keeping every
intermediate a positive integer, until one is left; that one is the target, so a solution always
exists. Many expressions are right, so `score_answer` evaluates the prediction (safely) and checks it
uses exactly the given numbers, instead of comparing with the canonical answer: a natural RL family.
"""

from __future__ import annotations

import ast
import operator
import random
from collections import Counter
from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, Problem, TaskFamily
from cotsynth.tasks.families.arith import Expr, check_arithmetic_step, expression_graph
from cotsynth.core.graph import REF, StepGraph
from cotsynth.tasks.knobs import Choice, IntRange
from cotsynth.core.arithmetic import MAX_CHARS, UnsafeExpression, evaluate, parse_number

_APPLY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.floordiv}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
MAX_DRAWS = 1000
_ALLOWED_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_TRANSLATE = str.maketrans({"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-"})

_SEARCH = '''numbers = {numbers}
target = {target}
ops = "{ops}"
failed = set()


def solve(items):
    """Combine two items at a time (positive integer results only) until one equals the target."""
    if len(items) == 1:
        return items[0][1] if items[0][0] == target else None
    key = tuple(sorted(value for value, _ in items))
    if key in failed:
        return None
    for i, (a, ta) in enumerate(items):
        for j, (b, tb) in enumerate(items):
            if i == j:
                continue
            rest = [item for k, item in enumerate(items) if k not in (i, j)]
            options = []
            if "+" in ops and i < j:
                options.append((a + b, "+"))
            if "*" in ops and i < j:
                options.append((a * b, "*"))
            if "-" in ops and a > b:
                options.append((a - b, "-"))
            if "/" in ops and a % b == 0:
                options.append((a // b, "/"))
            for value, op in options:
                found = solve(rest + [(value, f"({{ta}} {{op}} {{tb}})")])
                if found:
                    return found
    failed.add(key)
    return None


print(solve([(n, str(n)) for n in numbers]))
'''


@register
class Countdown(TaskFamily):
    name = "countdown"
    description = "Reach a target from given numbers with + - * /, each number used once; any right expression scores."
    answer_type = "expression"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "numbers": IntRange("how many numbers are given (all must be used)", (4, 4), 2, 6),
        "max_value": IntRange("largest number that may be given (numbers are drawn from 1..max_value)", (13, 13),
                              2, 100),
        "ops": Choice("operations allowed", ("+", "-", "*", "/"), ("+", "-", "*", "/")),
        "min_target": IntRange("smallest target (combinations are redrawn until the result is in range)", (10, 10),
                               1, 100_000),
        "max_target": IntRange("largest target", (100, 100), 1, 1_000_000),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        numbers, tree = self._draw(rng, knobs)
        target = int(tree.value)
        graph = expression_graph(tree)
        result = graph.node(graph.result)
        graph.nodes[-1] = replace(result, attrs={"numbers": numbers, "target": target})
        ops = "".join(knobs["ops"])
        return Generated(
            variables={"numbers": numbers, "target": target, "ops": list(knobs["ops"]),
                       "numbers_text": ", ".join(str(n) for n in numbers)},
            answer=tree.text(),
            graph=graph,
            program=_SEARCH.format(numbers=numbers, target=target, ops=ops),
            knobs={"target": target},
        )

    def _draw(self, rng: random.Random, knobs: dict[str, Any]) -> tuple[list[int], Expr]:
        """Numbers and a combination of them whose value lies in [min_target, max_target]."""
        for _ in range(MAX_DRAWS):
            numbers = [rng.randint(1, knobs["max_value"]) for _ in range(knobs["numbers"])]
            tree = self._combine(rng, numbers, knobs["ops"])
            if knobs["min_target"] <= tree.value <= knobs["max_target"]:
                return numbers, tree
        raise ValueError(f"countdown: no target in [{knobs['min_target']}, {knobs['max_target']}] after {MAX_DRAWS} "
                         f"draws of {knobs['numbers']} numbers up to {knobs['max_value']}; widen the target range")

    @staticmethod
    def _combine(rng: random.Random, numbers: list[int], ops: tuple[str, ...]) -> Expr:
        """Combine two random items with a random op whose result is a positive integer, until one is left."""
        while True:
            pool = [Expr(n) for n in numbers]
            while len(pool) > 1:
                i, j = rng.sample(range(len(pool)), 2)
                a, b = pool[i], pool[j]
                if a.value < b.value:
                    a, b = b, a
                choices = [op for op in ops if op in "+*" or (op == "-" and a.value > b.value)
                           or (op == "/" and a.value % b.value == 0)]
                if not choices:
                    break  # e.g. only `-` allowed and two equal numbers: draw the combination again
                op = rng.choice(choices)
                combined = Expr(_APPLY[op](a.value, b.value), op, a, b)
                pool = [e for k, e in enumerate(pool) if k not in (i, j)] + [combined]
            else:
                return pool[0]

    def recompute_answer(self, graph: StepGraph) -> str:
        """The expression rebuilt from the graph's nodes, after sympy confirms that it reaches the
        target from exactly the given numbers; otherwise the reason it does not."""
        facts = graph.node(graph.result).attrs
        trees: dict[str, Expr] = {}
        values: dict[str, sympy.Integer] = {}
        leaves: list[int] = []

        def operand(text: str) -> tuple[Expr, Any]:
            if text.startswith(REF):
                return trees[text[1:]], values[text[1:]]
            leaves.append(int(text))
            return Expr(Fraction(int(text))), sympy.Integer(int(text))

        for node in graph.nodes:
            (left, lv), (right, rv) = (operand(i) for i in node.inputs)
            symbol = _SYMBOL[node.op]
            values[node.id] = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv}[symbol]
            trees[node.id] = Expr(Fraction(int(values[node.id].p), int(values[node.id].q)), symbol, left, right)
        if values[graph.result] != facts["target"]:
            return f"invalid: reaches {values[graph.result]}, not {facts['target']}"
        if Counter(leaves) != Counter(facts["numbers"]):
            return f"invalid: uses {sorted(leaves)}, not {sorted(facts['numbers'])}"
        return trees[graph.result].text()

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        return check_arithmetic_step(graph, step, node_ids)

    def score_answer(self, problem: Problem, prediction: str) -> bool:
        """Right when the expression uses exactly the given numbers and + - * / and equals the target;
        a trailing `= target` is allowed."""
        facts = problem.graph.node(problem.graph.result).attrs
        text = (prediction or "").strip().translate(_TRANSLATE)
        if text.count("=") == 1:
            text, stated = text.split("=")
            if parse_number(stated) != facts["target"]:
                return False
        if not text.strip() or len(text) > MAX_CHARS:
            return False
        try:
            value = evaluate(text)
            tree = ast.parse(text.strip(), mode="eval")
        except (UnsafeExpression, SyntaxError, ValueError):
            return False
        used = []
        for node in ast.walk(tree.body):
            if isinstance(node, ast.Constant) and type(node.value) is int:
                used.append(node.value)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, _ALLOWED_OPS):
                continue
            elif not isinstance(node, ast.operator):
                return False  # unary minus, powers, floats, names: not in the game
        return value == facts["target"] and Counter(used) == Counter(facts["numbers"])
