"""What every error model provides, and the helpers models share: values put into a step's text,
numbers read from it, and the digit-level slips (carries, misread digits) several families make.

An error model says, for one graph node, how a step can go wrong (`slip`) and how a node recomputes
its value from inputs that may already be wrong (`evaluate`), each returning the value and the step's
text. `propagate` makes one node wrong and recomputes every later node that reads a changed value;
families whose later steps are not a fixed function of earlier values (a sort whose list grows or
shrinks, a rewrite chain that runs longer) override it and rebuild the rest of the graph.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from fractions import Fraction

from cotsynth.core.graph import REF, Node, StepGraph

Restated = tuple[str, str]  # (the value the step states, the step's text)


def token(value: str) -> str:
    """A value as a whole token: not glued to letters, digits, a decimal point or a fraction bar."""
    return rf"(?<![\w./]){re.escape(value)}(?![\w/]|\.\d)"


def substitute(text: str, old_inputs: tuple[str, ...], new_inputs: tuple[str, ...], old_output: str,
               new_output: str) -> str | None:
    """A step's text with changed values put in: the last mention of the output, then each changed
    input's first mention before it. None when a value is not found where it should be (the text is
    then not a plain statement of its node, and the node is not a place to inject an error)."""
    outputs = list(re.finditer(token(old_output), text)) if old_output else []
    if old_output != new_output:
        if not outputs:
            return None
        last = outputs[-1]
        head, tail = text[: last.start()], new_output + text[last.end():]
    else:
        head, tail = text, ""
    for old, new in zip(old_inputs, new_inputs):
        if old == new:
            continue
        found = re.search(token(old), head)
        if found is None:
            return None
        start, end = found.start(), found.end()
        if is_number(new) and head[start - 1: start] == "(" and head[end: end + 1] == ")":
            start, end = start - 1, end + 1  # an operand bracketed for its sign: bracket the new one anew
        value = f"({new})" if is_number(new) and (new.startswith("-") or "/" in new) else new
        head = head[:start] + value + head[end:]
    return head + tail


def is_number(text: str) -> bool:
    """An integer, a fraction or a decimal, as values are written in steps (`7`, `-7/3`, `2.45`)."""
    return re.fullmatch(r"-?\d+(?:\.\d+|/\d+)?", text) is not None


def number(text: str) -> Fraction | None:
    return Fraction(text) if is_number(text) else None


class ErrorModel:
    """The mistakes a family's steps can carry. Subclasses set `kinds` and implement both methods."""

    kinds: tuple[str, ...] = ()

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        """The node done wrong in the way `kind` says, reading `inputs`; None where `kind` cannot occur."""
        raise NotImplementedError

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        """The node done right from (possibly wrong) inputs; None when it has no value from them."""
        raise NotImplementedError

    def answer(self, graph: StepGraph) -> str:
        """The answer a (wrong) graph reaches, written as the family writes answers."""
        return graph.node(graph.result).output

    def restate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], values: dict[str, str],
                kind: str | None, rng: random.Random) -> Restated | None:
        """The node slipped in the way `kind` says, or done right from its inputs when `kind` is None;
        `values` holds every node's value so far (for a node that reads more than its inputs)."""
        return self.slip(graph, node, inputs, kind, rng) if kind else self.evaluate(graph, node, inputs)

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        """The graph with node `step` slipped and every later node that reads a changed value
        recomputed from it (the graph-generic part); None when the error cannot happen there or does
        not reach the answer."""
        values = {n.id: n.output for n in graph.nodes}
        nodes = list(graph.nodes)
        changed: set[str] = set()
        for k, node in enumerate(graph.nodes[step:], start=step):
            inputs = tuple(values[i[1:]] if i.startswith(REF) else i for i in node.inputs)
            if k != step and not any(i.startswith(REF) and i[1:] in changed for i in node.inputs):
                continue
            stated = self.restate(graph, node, inputs, values, kind if k == step else None, rng)
            if stated is None:
                return None
            output, text = stated
            if output != node.output:
                changed.add(node.id)
            values[node.id] = output
            nodes[k] = replace(node, output=output, text=text)
        return StepGraph(nodes=nodes, subgoals=[], result=graph.result) if graph.result in changed else None


def rebuilt(graph: StepGraph, nodes: list[Node]) -> StepGraph | None:
    """A rebuilt wrong graph ending in its last node, or None when its answer is still the right one."""
    if not nodes or nodes[-1].output == graph.node(graph.result).output:
        return None
    return StepGraph(nodes=nodes, subgoals=[], result=nodes[-1].id)


def carry_places(a: Fraction, b: Fraction) -> list[int]:
    """Powers of ten that received a carry when adding the integers a and b (digit by digit)."""
    if a.denominator != 1 or b.denominator != 1 or a < 0 or b < 0:
        return []
    places, carry, x, y, place = [], 0, int(a), int(b), 1
    while x or y:
        carry = (x % 10 + y % 10 + carry) // 10
        x, y = x // 10, y // 10
        if carry:
            places.append(place)
        place += 1
    return places


def digit_places(value: Fraction) -> list[int]:
    """Powers of ten of the digits of an integer result but its last one (a slip in a carried digit)."""
    if value.denominator != 1:
        return []
    return list(range(1, len(str(abs(int(value))))))


def misread(value: str, rng: random.Random) -> str | None:
    """A copy error: one digit of an integer read one higher or lower (never a new leading zero)."""
    found = number(value)
    if found is None or found.denominator != 1:
        return None
    digits = list(str(abs(int(found))))
    k = rng.randrange(len(digits))
    options = [d for d in (int(digits[k]) - 1, int(digits[k]) + 1)
               if 0 <= d <= 9 and not (k == 0 and d == 0 and len(digits) > 1)]
    if not options:
        return None
    digits[k] = str(rng.choice(options))
    return ("-" if found < 0 else "") + "".join(digits)
