"""`list_ops`: a chain of list operations (reverse, running sums, add/multiply each element).

The length-generalization tasks of What Algorithms can Transformers Learn? (operations with a short
RASP program: reversal, running sums, element-wise maps) composed into chains. A fine CoT computes
every element (each addition or product is a node) and states the list after each operation; a
coarse CoT states only the list after each operation; `code` is a short Python program.
"""

from __future__ import annotations

import random
from itertools import accumulate
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.tasks.families.sort import read, show
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange

OPS = ("reverse", "running_sum", "add", "multiply")
LIST_OP = {"reverse": "reverse", "running_sum": "running_sum", "add": "add_each", "multiply": "multiply_each"}
SYMBOL = {"add": "+", "mul": "*"}


def transform(op: str, values: list[int], k: int) -> list[int]:
    """One list operation, by its list-level name (`add_each`, ...)."""
    if op == "reverse":
        return values[::-1]
    if op == "running_sum":
        return list(accumulate(values))
    if op == "add_each":
        return [v + k for v in values]
    return [v * k for v in values]


def claim(op: str, before: list[int], k: int) -> str:
    after = show(transform(op, before, k))
    return {
        "reverse": f"Reversing {show(before)} gives {after}.",
        "running_sum": f"The running sums of {show(before)} are {after}.",
        "add_each": f"Adding {k} to each element of {show(before)} gives {after}.",
        "multiply_each": f"Multiplying each element of {show(before)} by {k} gives {after}.",
    }[op]


def ask(op: str, before: list[int], k: int) -> str:
    return {
        "reverse": f"What is {show(before)} reversed?",
        "running_sum": f"What are the running sums of {show(before)}?",
        "add_each": f"What is {show(before)} with {k} added to each element?",
        "multiply_each": f"What is {show(before)} with each element multiplied by {k}?",
    }[op]


def wording(op: str, k: int) -> tuple[str, str, str]:
    """(clause, imperative sentence, Python line) describing one operation in a question or program."""
    return {
        "reverse": ("reverse it", "Reverse the list.", "xs = xs[::-1]"),
        "running_sum": ("replace it by its running sums", "Replace the list by its running sums.",
                        "xs = list(accumulate(xs))"),
        "add_each": (f"add {k} to every element", f"Add {k} to every element.", f"xs = [x + {k} for x in xs]"),
        "multiply_each": (f"multiply every element by {k}", f"Multiply every element by {k}.",
                          f"xs = [x * {k} for x in xs]"),
    }[op]


@register
class ListOps(TaskFamily):
    name = "list_ops"
    description = "Chains of list operations: reverse, running sums, add or multiply every element."
    answer_type = "list"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "length": IntRange("list length (length generalization: train short, test long)", (3, 6), 1, 100),
        "chain": IntRange("operations applied one after another", (1, 3), 1, 8),
        "ops": Choice("operations a chain may use", OPS, OPS),
        "max_value": IntRange("elements are drawn from [0, max_value]", (9, 9), 1, 10**6),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        values = [rng.randint(0, knobs["max_value"]) for _ in range(knobs["length"])]
        nodes: list[Node] = []
        subgoals: list[Subgoal] = []
        current, source = values, show(values)
        plan = []
        for j in range(knobs["chain"]):
            op = LIST_OP[rng.choice(knobs["ops"])]
            k = rng.randint(1, 9) if op == "add_each" else rng.randint(2, 5) if op == "multiply_each" else 0
            elements = self._element_nodes(j, op, current, k)
            after = transform(op, current, k)
            node = Node(f"l{j}", op, (source, *(REF + e.id for e in elements)), show(after), claim(op, current, k),
                        ask(op, current, k), j, {"k": k})
            nodes += elements + [node]
            subgoals.append(Subgoal(j, tuple(n.id for n in elements + [node]), node.text, node.question, node.output))
            plan.append(wording(op, k))
            current, source = after, REF + node.id
        program = "\n".join(
            (["from itertools import accumulate"] if any("accumulate" in p[2] for p in plan) else [])
            + [f"xs = {show(values)}"] + [p[2] for p in plan] + ["print(xs)"]
        )
        return Generated(
            variables={
                "list": show(values),
                "plan": ", then ".join(p[0] for p in plan),
                "steps": [p[1] for p in plan],
                "code": "\n".join(p[2] for p in plan),
            },
            answer=show(current),
            graph=StepGraph(nodes=nodes, subgoals=subgoals, result=nodes[-1].id),
            program=program,
            knobs={"op_chain": ",".join(n.op for n in nodes if n.id.startswith("l"))},
        )

    @staticmethod
    def _element_nodes(j: int, op: str, values: list[int], k: int) -> list[Node]:
        """The per-element arithmetic of one operation: partial sums, or each element's sum/product."""
        nodes: list[Node] = []
        if op == "running_sum":
            total, previous = values[0], str(values[0])
            for i, value in enumerate(values[1:], start=1):
                nodes.append(_arith(f"e{j}_{i}", "add", previous, str(value), total, value, total + value, j))
                total, previous = total + value, REF + nodes[-1].id
        elif op in ("add_each", "multiply_each"):
            kind = "add" if op == "add_each" else "mul"
            for i, value in enumerate(values):
                nodes.append(_arith(f"e{j}_{i}", kind, str(value), str(k), value, k,
                                    value + k if kind == "add" else value * k, j))
        return nodes

    def recompute_answer(self, graph: StepGraph) -> str:
        steps = [n for n in graph.nodes if n.op in LIST_OP.values()]
        values = read(steps[0].inputs[0])
        for node in steps:
            values = transform(node.op, values, node.attrs["k"])
        return show(values)

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        node = graph.node(node_ids[-1])
        if node.op in SYMBOL:
            a, b = (int(graph.resolve(i)) for i in node.inputs)
            expected = f"{a} {SYMBOL[node.op]} {b} = {a + b if node.op == 'add' else a * b}"
        else:
            expected = claim(node.op, read(graph.resolve(node.inputs[0])), node.attrs["k"])
        if " ".join(step.split()) != expected:
            return False, f"does not hold; expected: {expected}"
        return True, "holds"


def _arith(node_id: str, kind: str, left: str, right: str, a: int, b: int, result: int, group: int) -> Node:
    text = f"{a} {SYMBOL[kind]} {b}"
    return Node(node_id, kind, (left, right), str(result), f"{text} = {result}", f"What is {text}?", group)
