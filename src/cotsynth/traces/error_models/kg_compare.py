"""kg_compare: a wrong fact recalled (a hop to the wrong person, an attribute value that is another
person's), or the two values swapped in the comparison (the comparison flipped). After a wrong hop
the attribute is looked up for the wrong person, and the comparison is made on what was stated."""

from __future__ import annotations

import random

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.tasks.kg import kg_of
from cotsynth.traces.error_models.base import ErrorModel, Restated
from cotsynth.traces.error_models.registry import MODELS, register


@register("kg_compare")
class KgCompareModel(ErrorModel):
    kinds = ("wrong_relation", "wrong_entity", "wrong_value", "swapped_values")

    def restate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], values: dict[str, str],
                kind: str | None, rng: random.Random) -> Restated | None:
        hops = MODELS["kg_compose"]
        if node.op == "compare":
            return self._compare(graph, node, inputs, values, kind == "swapped_values")
        if node.id in ("av", "bv"):  # an attribute fact
            return self._fact(kg_of(graph), node, inputs[0], kind == "wrong_value", rng)
        if kind is None:
            return hops.evaluate(graph, node, inputs)
        return hops.slip(graph, node, inputs, kind, rng) if kind in hops.kinds else None

    @staticmethod
    def _fact(kg, node: Node, person: str, slipped: bool, rng: random.Random) -> Restated | None:
        from cotsynth.tasks.kg import attribute

        right = kg.values.get((person, node.op))
        if right is None:
            return None
        value = right
        if slipped:
            others = sorted({kg.values[(e, node.op)] for e in kg.entities if (e, node.op) in kg.values} - {right})
            if not others:
                return None
            value = rng.choice(others)
        return str(value), attribute(node.op).fact.format(x=person, v=value)

    @staticmethod
    def _compare(graph: StepGraph, node: Node, inputs: tuple[str, ...], values: dict[str, str],
                 swapped: bool) -> Restated | None:
        from cotsynth.tasks.families.kg_compare import comparison, verdict
        from cotsynth.tasks.kg import attribute

        attr = attribute(node.attrs["attribute"])
        people = tuple(values[i[1:]] if i.startswith(REF) else i
                       for i in (graph.node(ref[1:]).inputs[0] for ref in node.inputs))
        stated = (int(inputs[1]), int(inputs[0])) if swapped else (int(inputs[0]), int(inputs[1]))
        if stated[0] == stated[1] and (swapped or node.attrs["form"] != "three_way"):
            return None  # nothing to swap; or a tie (the same person reached twice) a yes/no cannot state
        return (verdict(attr, stated, people, node.attrs["word"], node.attrs["form"]),
                comparison(attr, stated, people, node.attrs["form"]))
