"""kg_compose: a hop of a KG chain that recalls the wrong fact."""

from __future__ import annotations

import random

from cotsynth.core.graph import Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, Restated, substitute
from cotsynth.traces.error_models.registry import register


@register("kg_compose")
class KnowledgeChainModel(ErrorModel):
    """A hop of a KG chain that recalls the wrong fact: another relation's tail (`wrong_relation`) or
    a person who is not the tail (`wrong_entity`); later hops follow the KG from the wrong person."""

    kinds = ("wrong_relation", "wrong_entity")

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        from cotsynth.tasks.kg import kg_of

        output = kg_of(graph).facts.get((inputs[0], node.op))
        return self._stated(graph, node, inputs, output) if output is not None else None

    def _stated(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], output: str) -> Restated | None:
        text = substitute(node.text, tuple(graph.resolve(i) for i in node.inputs), inputs, node.output, output)
        return (output, text) if text is not None else None

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        from cotsynth.tasks.kg import kg_of

        kg = kg_of(graph)
        right = kg.facts.get((inputs[0], node.op))
        if kind == "wrong_relation":
            tails = sorted({kg.facts[(inputs[0], r.name)] for r in kg.relations if (inputs[0], r.name) in kg.facts}
                           - {right})
        else:
            tails = [e for e in kg.entities if e not in (right, inputs[0])]
        if not tails:
            return None
        return self._stated(graph, node, inputs, rng.choice(tails))
