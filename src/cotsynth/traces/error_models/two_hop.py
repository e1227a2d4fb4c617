"""two_hop: a wrong table entry recalled (the hallucinated hop)."""

from __future__ import annotations

import random

from cotsynth.core.graph import Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, Restated
from cotsynth.traces.error_models.registry import register


@register("two_hop")
class TwoHopModel(ErrorModel):
    """A wrong table entry recalled: another token's row (`neighbour_row`) or any wrong token."""

    kinds = ("wrong_fact", "neighbour_row")

    def _table(self, graph: StepGraph) -> tuple[int, int]:
        attrs = graph.nodes[0].attrs
        return attrs["table_seed"], attrs["tokens"]

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        from cotsynth.tasks.families.two_hop import lookup

        output = lookup(*self._table(graph), node.op, *inputs)
        return output, f"{node.op}({inputs[0]}, {inputs[1]}) = {output}"

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        from cotsynth.tasks.families.two_hop import lookup, token, token_index

        seed, n = self._table(graph)
        right = lookup(seed, n, node.op, *inputs)
        if kind == "neighbour_row":
            row = token((token_index(inputs[0], n) + rng.choice((-1, 1))) % n, n)
            output = lookup(seed, n, node.op, row, inputs[1])
        else:
            output = token(rng.randrange(n), n)
        if output == right:
            return None
        return output, f"{node.op}({inputs[0]}, {inputs[1]}) = {output}"
