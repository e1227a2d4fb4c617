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
        """One operation's element steps on `values` (running sums, or each element plus or times k),
        the one named `target` slipped; and the list they give. (None, []) when the slip cannot happen there."""
        from cotsynth.tasks.families.list_ops import _arith

        if op == "reverse":
            return [], values[::-1]
        running = op == "running_sum"
        nodes: list[Node] = []
        after, total, previous = (values[:1], values[0], str(values[0])) if running else ([], 0, "")
        for i in range(1 if running else 0, len(values)):
            node_id, read = f"e{j}_{i}", values[i]
            if node_id == target and kind == "wrong_element":
                options = [values[p] for p in (i - 1, i + 1) if 0 <= p < len(values) and values[p] != read]
                if not options:
                    return None, []
                read = rng.choice(options)
            elif node_id == target and kind != "arithmetic_slip":
                return None, []
            symbol = "add" if op in ("running_sum", "add_each") else "mul"
            a, b, left, right = (total, read, previous, str(read)) if running else (read, k, str(read), str(k))
            result = a + b if symbol == "add" else a * b
            if node_id == target and kind == "arithmetic_slip":
                result += rng.choice((-1, 1))
            nodes.append(_arith(node_id, symbol, left, right, a, b, result, j))
            after.append(result)
            total, previous = result, REF + node_id
        return nodes, after

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
