"""sort: an element put one place off (`misplaced_element`), lost (`dropped_element`) or copied
twice (`duplicated_element`) when a step rewrites the list, and for selection sort the runner-up
picked for the extreme (`wrong_pick`). The sort then runs on from the wrong list: inserts into it, or
picks from the remaining elements as stated, so the list grows or shrinks with the error."""

from __future__ import annotations

import random
from dataclasses import replace

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, rebuilt
from cotsynth.traces.error_models.registry import register


def _misplaced(values: list[int], value: int, rng: random.Random) -> list[int] | None:
    """`value` (in the right list `values`) moved one place left or right, where that changes the list."""
    at = values.index(value)
    rest = values[:at] + values[at + 1:]
    options = [rest[:p] + [value] + rest[p:] for p in (at - 1, at + 1) if 0 <= p <= len(rest)]
    options = [o for o in options if o != values]
    return rng.choice(options) if options else None


def _dropped(values: list[int], rng: random.Random) -> list[int] | None:
    if not values:
        return None
    k = rng.randrange(len(values))
    return values[:k] + values[k + 1:]


def _duplicated(values: list[int], rng: random.Random) -> list[int] | None:
    if not values:
        return None
    k = rng.randrange(len(values))
    return values[:k + 1] + values[k:]


@register("sort")
class SortModel(ErrorModel):
    kinds = ("misplaced_element", "dropped_element", "duplicated_element", "wrong_pick")

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        if graph.nodes[0].op == "insert":
            nodes = self._insertion(graph, step, kind, rng)
        else:
            nodes = self._selection(graph, step, kind, rng)
        return rebuilt(graph, nodes) if nodes else None

    @staticmethod
    def _insertion(graph: StepGraph, step: int, kind: str, rng: random.Random) -> list[Node] | None:
        from cotsynth.tasks.families.sort import _insert, insertion_claim, read, show

        nodes = list(graph.nodes[:step])
        prefix = read(nodes[-1].output) if nodes else []
        for node in graph.nodes[step:]:
            value, descending = int(node.inputs[1]), node.attrs["descending"]
            after = _insert(prefix, value, descending)
            if node is graph.nodes[step]:
                after = {"misplaced_element": lambda: _misplaced(after, value, rng),
                         "dropped_element": lambda: _dropped(after, rng),
                         "duplicated_element": lambda: _duplicated(after, rng)}.get(kind, lambda: None)()
                if after is None:
                    return None
            nodes.append(replace(node, output=show(after), text=insertion_claim([value], prefix, after)))
            prefix = after
        return nodes

    @staticmethod
    def _selection(graph: StepGraph, step: int, kind: str, rng: random.Random) -> list[Node] | None:
        from cotsynth.tasks.families.sort import read, selection_claim, show

        nodes = list(graph.nodes[:step])
        first = graph.nodes[step]
        descending = first.op == "select_max"
        prefix, remaining = read(graph.resolve(first.inputs[0])), read(first.inputs[1])
        while remaining:
            stated = remaining
            pick = max(remaining) if descending else min(remaining)
            if len(nodes) == step:
                if kind == "wrong_pick":
                    others = sorted({v for v in remaining if v != pick}, reverse=descending)
                    if not others:
                        return None
                    pick = others[0]
                elif kind in ("dropped_element", "duplicated_element"):
                    stated = (_dropped if kind == "dropped_element" else _duplicated)(remaining, rng)
                    if not stated:
                        return None
                    pick = max(stated) if descending else min(stated)
                else:
                    return None
            after = prefix + [pick]
            previous = REF + nodes[-1].id if nodes else "[]"
            nodes.append(Node(f"s{len(nodes)}", first.op, (previous, show(stated)), show(after),
                              selection_claim([pick], stated, after, descending),
                              f"What is the {'largest' if descending else 'smallest'} of {show(stated)}?", 0))
            remaining = list(stated)
            remaining.remove(pick)
            prefix = after
        return nodes
