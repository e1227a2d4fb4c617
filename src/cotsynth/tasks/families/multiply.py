"""`multiply`: multi-digit multiplication as long multiplication (Faith and Fate).

The graph is the schoolbook computation graph: for each digit of the multiplier, one node per digit
of the multiplicand (digit product plus incoming carry, stating the digit written and the carry out),
then the row's partial product, then a running sum of the partial products. Its node count grows
with both operands' digits, which is the complexity axis Faith and Fate measures.
"""

from __future__ import annotations

import random
import re
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import IntRange
from cotsynth.core.arithmetic import check_equation, parse_number

_DIGIT_STEP = re.compile(r"^(\d+) × (\d+)(?: \+ (\d+))? = (\d+)$")
_WRITE_CARRY = re.compile(r"^(?P<equation>[^,]+), write (?P<digit>\d) carry (?P<carry>\d+)$")


def _number(digits: int, rng: random.Random) -> int:
    return rng.randint(1 if digits == 1 else 10 ** (digits - 1), 10**digits - 1)


@register
class Multiply(TaskFamily):
    name = "multiply"
    description = "Long multiplication: digit products with carries, partial products, their sum."
    answer_type = "integer"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "a_digits": IntRange("digits of the multiplicand (the number written on top)", (2, 3), 1, 20),
        "b_digits": IntRange("digits of the multiplier (one partial product per digit)", (1, 2), 1, 20),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        a, b = _number(knobs["a_digits"], rng), _number(knobs["b_digits"], rng)
        graph = self._graph(a, b)
        program = (
            f"a = {a}\nb = {b}\n"
            "partials = [a * int(d) * 10**k for k, d in enumerate(reversed(str(b)))]\n"
            "print(sum(partials))\n"
        )
        return Generated(variables={"a": a, "b": b}, answer=str(a * b), graph=graph, program=program)

    def _graph(self, a: int, b: int) -> StepGraph:
        nodes: list[Node] = []
        subgoals: list[Subgoal] = []
        partial_refs: list[str] = []
        partial_values: list[int] = []
        a_digits = [int(d) for d in reversed(str(a))]
        for row, b_digit in enumerate(int(d) for d in reversed(str(b))):
            start, carry, carry_ref = len(nodes), 0, ""
            for place, a_digit in enumerate(a_digits):
                value = b_digit * a_digit + carry
                last = place == len(a_digits) - 1
                written = str(value) if last else str(value % 10)  # the last product writes all its digits
                expression = f"{b_digit} × {a_digit}" + (f" + {carry}" if carry else "")
                node_id = f"r{row}d{place}"
                nodes.append(Node(
                    id=node_id,
                    op="digit_mul_carry" if carry else "digit_mul",
                    inputs=(str(b_digit), str(a_digit)) + ((carry_ref,) if carry else ()),
                    output=str(value),
                    text=f"{expression} = {value}" + ("" if last else f", write {value % 10} carry {value // 10}"),
                    question=f"What is {expression}" + ("?" if last else ", and which digit is written and carried?"),
                    group=row,
                    attrs={"written": written, "carry": 0 if last else value // 10, "place": place},
                ))
                carry, carry_ref = (0 if last else value // 10), REF + node_id
            shift = 10**row
            partial = a * b_digit * shift
            factor = b_digit * shift
            node_id = f"p{row}"
            nodes.append(Node(
                id=node_id,
                op="partial_product",
                inputs=tuple(REF + n.id for n in nodes[start:]),
                output=str(partial),
                text=f"{a} × {factor} = {partial}",
                question=f"What is the partial product {a} × {factor}?",
                group=row,
                attrs={"a": a, "b_digit": b_digit, "shift": row},
            ))
            subgoals.append(Subgoal(row, tuple(n.id for n in nodes[start:]), nodes[-1].text, nodes[-1].question,
                                    str(partial)))
            partial_refs.append(REF + node_id)
            partial_values.append(partial)
        if len(partial_refs) > 1:
            start, running, running_ref = len(nodes), partial_values[0], partial_refs[0]
            group = len(partial_refs)
            for k, (ref, addend) in enumerate(zip(partial_refs[1:], partial_values[1:]), start=1):
                node_id = f"s{k}"
                nodes.append(Node(
                    id=node_id,
                    op="add",
                    inputs=(running_ref, ref),
                    output=str(running + addend),
                    text=f"{running} + {addend} = {running + addend}",
                    question=f"What is {running} + {addend}?",
                    group=group,
                ))
                running, running_ref = running + addend, REF + node_id
            partials = " + ".join(str(v) for v in partial_values)
            subgoals.append(Subgoal(group, tuple(n.id for n in nodes[start:]), f"{partials} = {running}",
                                    f"What is {partials}?", str(running)))
        return StepGraph(nodes=nodes, subgoals=subgoals, result=nodes[-1].id)

    def recompute_answer(self, graph: StepGraph) -> str:
        """The operands read back from the digit nodes, multiplied directly (not digit by digit)."""
        rows: dict[int, int] = {}
        a = 0
        for node in graph.nodes:
            if node.op.startswith("digit_mul"):
                row, place = (int(x) for x in node.id[1:].split("d"))
                rows[row] = int(node.inputs[0])
                if row == 0:
                    a += int(node.inputs[1]) * 10**place
        b = sum(digit * 10**row for row, digit in rows.items())
        return str(a * b)

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        match = _WRITE_CARRY.match(step.strip())
        equation = match.group("equation") if match else step
        digit_step = _DIGIT_STEP.match(equation.strip())  # fast path: `b × a (+ c) = v` in integers
        if digit_step:
            b_digit, a_digit, carry, value = (int(g or 0) for g in digit_step.groups())
            holds, reason = b_digit * a_digit + carry == value, f"{equation.strip()} is false"
        else:
            holds, reason = check_equation(equation)
        if not holds:
            return False, reason
        claimed = parse_number(equation.rsplit("=", 1)[1])
        if match and (int(match.group("digit")), int(match.group("carry"))) != divmod(int(claimed), 10)[::-1]:
            return False, f"{claimed} writes {int(claimed) % 10} and carries {int(claimed) // 10}"
        expected = graph.node(node_ids[-1]).output
        if claimed != parse_number(expected):
            return False, f"step claims {claimed}, graph has {expected}"
        return True, "holds"
