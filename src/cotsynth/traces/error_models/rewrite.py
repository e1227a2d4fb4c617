"""rewrite: a Markov step with the wrong rule, at the wrong place, or a halt too early."""

from __future__ import annotations

import random
from dataclasses import replace

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, Restated
from cotsynth.traces.error_models.registry import register


@register("rewrite")
class RewriteModel(ErrorModel):
    """A Markov step that applies a later rule that also fits (`wrong_rule`), the first rule at a
    later place where it fits (`wrong_position`), or stops while a rule still fits (`early_halt`);
    after a wrong rewrite the later steps rewrite the wrong string correctly."""

    kinds = ("wrong_rule", "wrong_position", "early_halt")

    @staticmethod
    def _rules(graph: StepGraph) -> tuple[list[list[str]], int]:
        halt = graph.node(graph.result)
        return halt.attrs["rules"], halt.attrs["max_steps"]

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        from cotsynth.tasks.families.rewrite import apply, first_match, halt_text, step_text

        rules, limit = self._rules(graph)
        before = inputs[0]
        match = first_match(rules, before)
        if node.op == "halt":
            if match is not None and len(graph.nodes) - 1 < limit:
                return None  # the wrong string would not halt here
            return before, halt_text(before, "limit" if match else "none", limit)
        if match is None:
            return None
        after = apply(rules, *match, before)
        return after, step_text(rules, *match, before, after)

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        """After the wrong step the machine runs on from the wrong string, so the chain may get
        longer or shorter than the right one: the later steps are rebuilt, not mapped node to node."""
        from cotsynth.tasks.families.rewrite import first_match, halt_text

        rules, limit = self._rules(graph)
        node, halt = graph.nodes[step], graph.node(graph.result)
        if node.op == "halt":
            return None
        before = graph.resolve(node.inputs[0])
        if kind == "early_halt":  # stops as if no rule fitted: the wrong check of the rule list
            stopped = replace(halt, inputs=node.inputs, output=before, text=halt_text(before, "none", limit))
            return StepGraph(nodes=[*graph.nodes[:step], stopped], subgoals=[], result=halt.id)
        stated = self.slip(graph, node, (before,), kind, rng)
        if stated is None:
            return None
        nodes = [*graph.nodes[:step], replace(node, output=stated[0], text=stated[1])]
        while True:
            text = nodes[-1].output
            ref = (REF + nodes[-1].id,)
            match = first_match(rules, text)
            if match is None or len(nodes) >= limit:
                reason = "limit" if match else "none"
                nodes.append(replace(halt, inputs=ref, output=text, text=halt_text(text, reason, limit)))
                return StepGraph(nodes=nodes, subgoals=[], result=halt.id)
            number = match[0]
            output, line = self.evaluate(graph, node, (text,))
            nodes.append(replace(node, id=f"r{len(nodes)}", op=f"rule:{number}", inputs=ref, output=output, text=line,
                                 attrs={"rule": number, "position": match[1]}))

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        from cotsynth.tasks.families.rewrite import apply, first_match, step_text

        rules, _ = self._rules(graph)
        before = inputs[0]
        if node.op == "halt" or first_match(rules, before) is None:
            return None
        number, position = first_match(rules, before)
        if kind == "wrong_rule":
            options = [(k, before.find(lhs) + 1) for k, (lhs, _) in enumerate(rules, start=1)
                       if k > number and lhs in before]
        else:
            lhs = rules[number - 1][0]
            options = [(number, p + 1) for p in range(position, len(before)) if before.startswith(lhs, p)]
        right = apply(rules, number, position, before)
        options = [o for o in options if apply(rules, *o, before) != right]
        if not options:
            return None
        chosen = rng.choice(options)
        after = apply(rules, *chosen, before)
        return after, step_text(rules, *chosen, before, after)
