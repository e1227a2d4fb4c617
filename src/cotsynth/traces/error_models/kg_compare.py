"""kg_compare: a wrong fact recalled (a hop to the wrong person, an attribute value that is another
person's), or the two values swapped in the comparison (the comparison flipped). After a wrong hop
the attribute is looked up for the wrong person, and the comparison is made on what was stated."""

from __future__ import annotations

import random
from dataclasses import replace

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, Restated
from cotsynth.traces.error_models.registry import MODELS, register


@register("kg_compare")
class KgCompareModel(ErrorModel):
    kinds = ("wrong_relation", "wrong_entity", "wrong_value", "swapped_values")

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        from cotsynth.tasks.kg import kg_of

        kg, hops = kg_of(graph), MODELS["kg_compose"]
        values = {n.id: n.output for n in graph.nodes}
        nodes, changed = list(graph.nodes), set()
        for k, node in enumerate(graph.nodes[step:], start=step):
            inputs = tuple(values[i[1:]] if i.startswith(REF) else i for i in node.inputs)
            here = k == step
            if not here and not any(i.startswith(REF) and i[1:] in changed for i in node.inputs):
                continue
            if node.op == "compare":
                stated = self._compare(graph, node, inputs, values, here and kind == "swapped_values")
            elif (node.id[1:] == "v") or node.id == "av":
                stated = self._fact(kg, node, inputs[0], here and kind == "wrong_value", rng)
            elif here:
                stated = hops.slip(graph, node, inputs, kind, rng) if kind in hops.kinds else None
            else:
                stated = hops.evaluate(graph, node, inputs)
            if stated is None or (here and stated[0] == node.output and kind != "swapped_values"):
                return None
            output, text = stated
            if output != node.output:
                changed.add(node.id)
            values[node.id] = output
            nodes[k] = replace(node, output=output, text=text)
        return StepGraph(nodes=nodes, subgoals=[], result=graph.result) if graph.result in changed else None

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
