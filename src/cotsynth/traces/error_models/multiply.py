"""multiply (long multiplication): a wrong times-table fact (7 × 8 = 49, the neighbouring entry), a
carry left out or misread, a partial product written one place off, a carry slip in adding the rows.

The rows are redone from the wrong digit on as the schoolbook method does them: each later digit
adds the carry the wrong step wrote (a digit that had no carry may get one), the partial product is
read off the written digits, and the rows are summed as written."""

from __future__ import annotations

import random
from dataclasses import replace

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, carry_places, rebuilt
from cotsynth.traces.error_models.registry import register


@register("multiply")
class MultiplyModel(ErrorModel):
    kinds = ("times_table_slip", "carry_dropped", "wrong_carry", "misaligned_row", "addition_carry_slip")

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        target = graph.nodes[step].id
        rows = [n for n in graph.nodes if n.op == "partial_product"]
        a = rows[0].attrs["a"]
        a_digits = [int(d) for d in reversed(str(a))]
        nodes: list[Node] = []
        partials: list[tuple[str, int]] = []
        slipped = False
        for row, row_node in enumerate(rows):
            b_digit, carry, carry_ref, value, start = row_node.attrs["b_digit"], 0, "", 0, len(nodes)
            unshifted = 0
            for place, a_digit in enumerate(a_digits):
                node = graph.node(f"r{row}d{place}")
                added, product = carry, b_digit * a_digit
                if node.id == target:
                    slipped = True
                    if kind == "times_table_slip":
                        neighbours = [d for d in (a_digit - 1, a_digit + 1) if 0 <= d <= 9]
                        product = b_digit * rng.choice(neighbours)
                    elif kind == "carry_dropped" and carry:
                        added = 0
                    elif kind == "wrong_carry" and carry:
                        added = carry + rng.choice((-1, 1) if carry > 1 else (1,))
                    else:
                        return None
                value = product + added
                last = place == len(a_digits) - 1
                expression = f"{b_digit} × {a_digit}" + (f" + {added}" if added else "")
                text = f"{expression} = {value}" + ("" if last else f", write {value % 10} carry {value // 10}")
                nodes.append(replace(
                    node, op="digit_mul_carry" if carry else "digit_mul",
                    inputs=(str(b_digit), str(a_digit)) + ((carry_ref,) if carry else ()), output=str(value),
                    text=text, attrs=node.attrs | {"written": str(value) if last else str(value % 10),
                                                   "carry": 0 if last else value // 10}))
                unshifted += (value if last else value % 10) * 10**place
                carry, carry_ref = (0 if last else value // 10), REF + node.id
            shift = row
            if row_node.id == target:
                if kind != "misaligned_row" or row == 0:
                    return None
                slipped, shift = True, row - 1  # the row written one place too far right
            partial = unshifted * 10**shift
            nodes.append(replace(row_node, inputs=tuple(REF + n.id for n in nodes[start:]), output=str(partial),
                                 text=f"{a} × {b_digit * 10**row} = {partial}"))
            partials.append((REF + row_node.id, partial))
        running = partials[0][1]
        for k, (ref, addend) in enumerate(partials[1:], start=1):
            node = graph.node(f"s{k}")
            total = running + addend
            if node.id == target:
                places = carry_places(running, addend) if kind == "addition_carry_slip" else []
                if not places:
                    return None
                slipped, total = True, total - 10 ** rng.choice(places)
            nodes.append(replace(node, output=str(total), text=f"{running} + {addend} = {total}"))
            running = total
        return rebuilt(graph, nodes) if slipped else None
