"""`sort`: sorting a list of integers, one step per selection-sort pick or insertion-sort insert.

Sorting is the length-generalization task of Task Hinting (train on length <= 20, test on 100); the
`length` knob sets the list length, so a difficulty split on it gives that setup. The step graph is
the run of the chosen algorithm (`method`), so a fine CoT is an inductive scratchpad: each step
depends on the previous sorted part and one more element.
"""

from __future__ import annotations

import random
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange

ORDERS = ("ascending", "descending")
METHODS = ("selection", "insertion")
CHUNK = 3  # nodes per coarse step


def show(values: list[int]) -> str:
    """The canonical list text, the same as Python's repr: "[1, 2, 3]"."""
    return "[" + ", ".join(str(v) for v in values) + "]"


def read(text: str) -> list[int]:
    inside = text.strip()[1:-1].strip()
    return [int(v) for v in inside.split(",")] if inside else []


def spoken(values: list[int]) -> str:
    """ "3", "3 and 5", "3, 5 and 8"."""
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def selection_claim(picked: list[int], remaining: list[int], prefix: list[int], descending: bool) -> str:
    extreme = "largest" if descending else "smallest"
    if len(picked) == 1:
        return f"The {extreme} of {show(remaining)} is {picked[0]}, so the sorted part is {show(prefix)}."
    return f"The next {len(picked)} {extreme} are {spoken(picked)}, so the sorted part is {show(prefix)}."


def insertion_claim(inserted: list[int], before: list[int], after: list[int]) -> str:
    return f"Inserting {spoken(inserted)} into {show(before)} gives {show(after)}."


@register
class Sort(TaskFamily):
    name = "sort"
    description = "Sort a list of integers; fine steps are selection-sort picks or insertion-sort inserts."
    answer_type = "list"
    knobs = {
        "length": IntRange("list length (length generalization: train short, test long)", (4, 8), 1, 200),
        "max_value": IntRange("elements are drawn from [0, max_value]; repeats allowed", (99, 99), 1, 10**9),
        "order": Choice("sort order", ORDERS, ORDERS),
        "method": Choice("the algorithm the steps follow", METHODS, METHODS),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        values = [rng.randint(0, knobs["max_value"]) for _ in range(knobs["length"])]
        order, method = rng.choice(knobs["order"]), rng.choice(knobs["method"])
        descending = order == "descending"
        nodes: list[Node] = []
        prefix: list[int] = []
        remaining = list(values)
        for i, value in enumerate(values):
            previous = REF + nodes[-1].id if nodes else "[]"
            if method == "selection":
                pick = max(remaining) if descending else min(remaining)
                extreme = "largest" if descending else "smallest"
                node = Node(f"s{i}", "select_max" if descending else "select_min", (previous, show(remaining)),
                            show(prefix + [pick]), selection_claim([pick], remaining, prefix + [pick], descending),
                            f"What is the {extreme} of {show(remaining)}?", i // CHUNK)
                remaining.remove(pick)
                prefix.append(pick)
            else:
                after = _insert(prefix, value, descending)
                node = Node(f"s{i}", "insert", (previous, str(value)), show(after),
                            insertion_claim([value], prefix, after), f"Where does {value} go in {show(prefix)}?",
                            i // CHUNK, {"descending": descending})
                prefix = after
            nodes.append(node)
        graph = StepGraph(nodes=nodes, subgoals=[], result=nodes[-1].id)
        for group in range(nodes[-1].group + 1):
            ids = tuple(n.id for n in nodes if n.group == group)
            claim = self._expected(graph, ids)
            graph.subgoals.append(Subgoal(group, ids, claim, graph.node(ids[0]).question if len(ids) == 1 else
                                          f"What is the sorted part after {len(ids)} more steps?",
                                          graph.node(ids[-1]).output))
        return Generated(
            variables={"list": show(values), "items": ", ".join(str(v) for v in values), "descending": descending},
            answer=show(prefix),
            graph=graph,
            knobs={"order": order, "method": method},
        )

    def recompute_answer(self, graph: StepGraph) -> str:
        first = graph.nodes[0]
        if first.op == "insert":
            values = [int(n.inputs[1]) for n in graph.nodes]
            descending = first.attrs["descending"]
        else:
            values, descending = read(first.inputs[1]), first.op == "select_max"
        return show(sorted(values, reverse=descending))

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        expected = self._expected(graph, node_ids)
        if " ".join(step.split()) != expected:
            return False, f"not a valid sorting move; expected: {expected}"
        return True, "a valid sorting move"

    @staticmethod
    def _expected(graph: StepGraph, node_ids: tuple[str, ...]) -> str:
        """The true claim of consecutive steps, recomputed from the first step's inputs alone."""
        first = graph.node(node_ids[0])
        before = read(graph.resolve(first.inputs[0]))
        if first.op == "insert":
            inserted = [int(graph.node(i).inputs[1]) for i in node_ids]
            return insertion_claim(inserted, before, sorted(before + inserted, reverse=first.attrs["descending"]))
        descending, remaining = first.op == "select_max", read(first.inputs[1])
        picked = sorted(remaining, reverse=descending)[:len(node_ids)]
        return selection_claim(picked, remaining, before + picked, descending)


def _insert(prefix: list[int], value: int, descending: bool) -> list[int]:
    """Insertion-sort's move: `value` placed after every element that comes before it."""
    position = 0
    while position < len(prefix) and (prefix[position] >= value if descending else prefix[position] <= value):
        position += 1
    return prefix[:position] + [value] + prefix[position:]
