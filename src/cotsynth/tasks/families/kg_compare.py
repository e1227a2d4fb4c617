"""`kg_compare`: comparison of two people's attributes in the synthetic KG (Grokked Transformers).

Comparison is the reasoning type that grokked transformers do generalize out of distribution, in
contrast to composition; this family asks it over the same seeded KG as `kg_compose` ("Is Alice
Moreau older than Bob Tran?", "Who is taller, the coach of A or B?"). The CoT states each person's
attribute fact (after the relation hops that reach them, if `hops` > 0), then the comparison.
Yes/no questions have answer type boolean, "which one" questions answer type entity.
"""

from __future__ import annotations

import random
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.kg import (
    Attribute, KnowledgeGraph, Relation, all_attributes, attribute, chain_claim, hop_nodes, kg_knobs, kg_of,
    knowledge_graph, nest, sentence, walk,
)
from cotsynth.tasks.knobs import Choice, IntRange

FORMS = ("yes_no", "which")
SIDES = ("a", "b")


def chain_claim_of(kg: KnowledgeGraph, start: str, relations: tuple[Relation, ...]) -> str:
    """The composed hop fact from `start` ("The coach of A is B."), for a coarse step."""
    return sentence(nest(list(relations), start), walk(kg, start, [r.name for r in relations])[-1])


def comparison(attr: Attribute, values: tuple[int, int], people: tuple[str, str]) -> str:
    """The comparison step, e.g. "Since 1954 < 1967, Alice Moreau is older than Bob Tran."."""
    larger = values[0] > values[1]
    return (f"Since {values[0]} {'>' if larger else '<'} {values[1]}, {people[0]} is "
            f"{attr.greater if larger else attr.lesser} than {people[1]}.")


def verdict(attr: Attribute, values: tuple[int, int], people: tuple[str, str], word: str, form: str) -> str:
    """The answer: whether `word` holds of the first person (yes/no), or who it holds of (which)."""
    first_holds = (values[0] > values[1]) == (word == attr.greater)
    if form == "yes_no":
        return "yes" if first_holds else "no"
    return people[0] if first_holds else people[1]


@register
class KgCompare(TaskFamily):
    name = "kg_compare"
    description = "Compare two people's attributes (birth year, height, ...) in the synthetic KG."
    answer_type = "boolean"
    knobs = kg_knobs() | {
        "hops": IntRange("relation hops before each compared person (0 = compare named people)", (0, 0), 0, 4),
        "form": Choice("question form: yes/no (boolean) or which of the two (entity)", FORMS, FORMS),
        "attributes": Choice("attributes compared", tuple(a.name for a in all_attributes()),
                             tuple(a.name for a in all_attributes())),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        kg = knowledge_graph(knobs["kg_seed"], knobs["entities"], knobs["relations"])
        attr = attribute(rng.choice(knobs["attributes"]))
        form, word, hops = rng.choice(knobs["form"]), rng.choice((attr.greater, attr.lesser)), knobs["hops"]
        for _ in range(100):  # two different people with different values; ties are rare
            sides = []
            for _side in SIDES:
                start, relations = rng.choice(kg.entities), tuple(rng.choice(kg.chaining()) for _ in range(hops))
                sides.append((start, relations, walk(kg, start, [r.name for r in relations])[-1] if hops else start))
            people = (sides[0][2], sides[1][2])
            values = (kg.values[(people[0], attr.name)], kg.values[(people[1], attr.name)])
            if values[0] != values[1]:
                break
        else:
            raise ValueError(f"no two people of this KG differ in {attr.name}")
        nodes: list[Node] = []
        subgoals: list[Subgoal] = []
        for group, (side, (start, relations, person)) in enumerate(zip(SIDES, sides)):
            hopping = hop_nodes(kg, start, relations, group_size=hops + 1, first_group=group, prefix=side)
            value = str(values[group])
            fact = Node(f"{side}v", attr.name, (REF + hopping[-1].id if hopping else start,), value,
                        attr.fact.format(x=person, v=value), attr.ask.format(x=person), group, {"kg": kg.params})
            nodes += hopping + [fact]
            claim = (f"{chain_claim_of(kg, start, relations)} " if hops else "") + fact.text
            subgoals.append(Subgoal(group, tuple(n.id for n in hopping + [fact]), claim, fact.question, value))
        answer = verdict(attr, values, people, word, form)
        asked = f"Is {people[0]} {word} than {people[1]}?" if form == "yes_no" else \
            f"Who is {word}, {people[0]} or {people[1]}?"
        nodes.append(Node("c", "compare", ("@av", "@bv"), answer, comparison(attr, values, people), asked, 2,
                          {"kg": kg.params, "attribute": attr.name, "word": word, "form": form,
                           "people": list(people)}))
        subgoals.append(Subgoal(2, ("c",), nodes[-1].text, asked, answer))
        mentions = [nest(list(relations), start) for start, relations, _ in sides]
        return Generated(
            variables={"left": mentions[0], "right": mentions[1], "word": word, "yes_no": form == "yes_no"},
            answer=answer,
            graph=StepGraph(nodes=nodes, subgoals=subgoals, result="c"),
            knobs={"form": form, "attributes": attr.name},
            answer_type="boolean" if form == "yes_no" else "entity",
        )

    def recompute_answer(self, graph: StepGraph) -> str:
        kg, compare = kg_of(graph), graph.node(graph.result)
        attr = attribute(compare.attrs["attribute"])
        people = []
        for group in (0, 1):
            side = [n for n in graph.nodes if n.group == group]
            reached = walk(kg, side[0].inputs[0], [n.op for n in side[:-1]])
            people.append(reached[-1] if reached else side[0].inputs[0])
        values = (kg.values[(people[0], attr.name)], kg.values[(people[1], attr.name)])
        return verdict(attr, values, (people[0], people[1]), compare.attrs["word"], compare.attrs["form"])

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        kg, last = kg_of(graph), graph.node(node_ids[-1])
        if last.op == "compare":
            attr = attribute(last.attrs["attribute"])
            values = tuple(int(graph.resolve(i)) for i in last.inputs)
            expected = comparison(attr, values, tuple(last.attrs["people"]))  # type: ignore[arg-type]
        elif last.op in {a.name for a in all_attributes()}:
            hops = node_ids[:-1]
            person = walk(kg, graph.resolve(graph.node(hops[0]).inputs[0]), [graph.node(i).op for i in hops])[-1] \
                if hops else graph.resolve(last.inputs[0])
            fact = attribute(last.op).fact.format(x=person, v=kg.values[(person, last.op)])
            expected = (f"{chain_claim(kg, graph, hops)} " if hops else "") + fact
        else:
            expected = chain_claim(kg, graph, node_ids)
        if " ".join(step.split()) != expected:
            return False, f"does not hold in the KG; expected: {expected}"
        return True, "holds in the KG"

