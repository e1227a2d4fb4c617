"""modular: a slip in the product or sum, a residue off by one, a reduction left undone (one p too
few subtracted), and a misread operand; the sum's step then adds the wrong residue."""

from __future__ import annotations

import random

from cotsynth.core.graph import Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, Restated, carry_places, digit_places, misread
from cotsynth.traces.error_models.registry import register


def _claim(u: int, op: str, v: int, raw: int, residue: int, p: int) -> Restated:
    return str(residue), f"{u} {op} {v} = {raw} ≡ {residue} (mod {p})"


@register("modular")
class ModularModel(ErrorModel):
    kinds = ("product_slip", "off_by_one_residue", "unreduced", "operand_misread")

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        u, v, p = (int(x) for x in inputs)
        op = "·" if node.op == "mul_mod" else "+"
        raw = u * v if op == "·" else u + v
        return _claim(u, op, v, raw, raw % p, p)

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        u, v, p = (int(x) for x in inputs)
        op = "·" if node.op == "mul_mod" else "+"
        raw = u * v if op == "·" else u + v
        if kind == "product_slip":  # a carry slip in the product (or the sum) before reducing
            places = digit_places(raw) if op == "·" else carry_places(u, v)
            if not places:
                return None
            slipped = raw + rng.choice((-1, 1) if op == "·" else (-1,)) * 10 ** rng.choice(places)
            return _claim(u, op, v, slipped, slipped % p, p) if slipped >= 0 else None
        if kind == "off_by_one_residue":
            return _claim(u, op, v, raw, (raw + rng.choice((-1, 1))) % p, p)
        if kind == "unreduced" and raw >= p:
            return _claim(u, op, v, raw, raw % p + p, p)
        if kind == "operand_misread":
            position = rng.randrange(2)
            wrong = misread(inputs[position], rng)
            if wrong is None:
                return None
            read = (int(wrong), v) if position == 0 else (u, int(wrong))
            return self.evaluate(graph, node, (str(read[0]), str(read[1]), str(p)))
        return None
