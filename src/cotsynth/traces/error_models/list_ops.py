"""list_ops: a slip in one element's sum or product (`arithmetic_slip`), an element read from the
neighbouring position (`wrong_element`, the off-by-one of position-wise operations), two neighbours
left in place by a reversal (`misplaced_element`), an element lost when a list is written out
(`dropped_element`). Every later element and operation is computed from the wrong list."""

from __future__ import annotations

import random
from dataclasses import replace

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, rebuilt
from cotsynth.traces.error_models.registry import register


@register("list_ops")
class ListOpsModel(ErrorModel):
    kinds = ("arithmetic_slip", "wrong_element", "misplaced_element", "dropped_element")

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        from cotsynth.tasks.families.list_ops import claim, read, show, transform

        target = graph.nodes[step].id
        lists = [n for n in graph.nodes if n.id.startswith("l")]
        current, source = read(lists[0].inputs[0]), lists[0].inputs[0]
        nodes: list[Node] = []
        slipped = False
        for j, node in enumerate(lists):
            op, k = node.op, node.attrs["k"]
            elements, after = self._elements(j, op, current, k, target, kind, rng)
            if elements is None:
                return None
            slipped |= any(e.id == target for e in elements)
            if node.id == target:
                after = self._wrong_list(op, current, after, kind, rng)
                if after is None:
                    return None
                slipped = True
            right = show(transform(op, current, k))
            head, _, tail = claim(op, current, k).rpartition(right)
            nodes += elements + [replace(node, inputs=(source, *(REF + e.id for e in elements)), output=show(after),
                                         text=head + show(after) + tail)]
            current, source = after, REF + node.id
        return rebuilt(graph, nodes) if slipped else None

    @staticmethod
    def _elements(j: int, op: str, values: list[int], k: int, target: str, kind: str,
                  rng: random.Random) -> tuple[list[Node] | None, list[int]]:
        """One operation's element steps on `values`, the one named `target` slipped; and the list
        they give. (None, []) when the slip cannot happen there."""
        from cotsynth.tasks.families.list_ops import _arith

        nodes: list[Node] = []
        if op == "running_sum":
            after, total, previous = [values[0]] if values else [], values[0] if values else 0, None
            for i in range(1, len(values)):
                b = values[i]
                node_id = f"e{j}_{i}"
                result = total + b
                if node_id == target:
                    if kind == "wrong_element":
                        options = [values[p] for p in (i - 1, i + 1) if 0 <= p < len(values) and values[p] != b]
                        if not options:
                            return None, []
                        b = rng.choice(options)
                        result = total + b
                    elif kind == "arithmetic_slip":
                        result += rng.choice((-1, 1))
                    else:
                        return None, []
                nodes.append(_arith(node_id, "add", previous or str(values[0]), str(b), total, b, result, j))
                total, previous = result, REF + node_id
                after.append(result)
            return nodes, after
        if op in ("add_each", "multiply_each"):
            kind_of, after = ("add" if op == "add_each" else "mul"), []
            for i, value in enumerate(values):
                node_id = f"e{j}_{i}"
                a = value
                result = a + k if kind_of == "add" else a * k
                if node_id == target:
                    if kind == "wrong_element":
                        options = [values[p] for p in (i - 1, i + 1) if 0 <= p < len(values) and values[p] != value]
                        if not options:
                            return None, []
                        a = rng.choice(options)
                        result = a + k if kind_of == "add" else a * k
                    elif kind == "arithmetic_slip":
                        result += rng.choice((-1, 1))
                    else:
                        return None, []
                nodes.append(_arith(node_id, kind_of, str(a), str(k), a, k, result, j))
                after.append(result)
            return nodes, after
        return nodes, values[::-1]

    @staticmethod
    def _wrong_list(op: str, before: list[int], after: list[int], kind: str, rng: random.Random) -> list[int] | None:
        if kind == "misplaced_element" and op == "reverse":
            pairs = [i for i in range(len(after) - 1) if after[i] != after[i + 1]]
            if not pairs:
                return None
            i = rng.choice(pairs)
            return after[:i] + [after[i + 1], after[i]] + after[i + 2:]
        if kind == "dropped_element" and len(after) > 1:
            i = rng.randrange(len(after))
            return after[:i] + after[i + 1:]
        return None
