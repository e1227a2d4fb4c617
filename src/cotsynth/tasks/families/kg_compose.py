"""`kg_compose`: k-hop composition over a seeded synthetic knowledge graph.

Grokked Transformers, Grokking in the Wild and the KG path-reward paper train on atomic facts plus
composed (inferred) facts and test on longer or unseen compositions. Here one KG (see tasks/kg.py)
serves every example; a question asks for the end of a relation chain ("the mentor of the rival of
Alice Moreau"), and the fine CoT states each hop as a KG fact. Atoms are relations, compounds
relation pairs (`rival_of>mentor_of`: rival first, then mentor).

φ (`phi`) is the ratio of inferred to atomic facts: for each hop count k >= 2, composed questions are
drawn from a fixed pool of round(φ · A) k-hop facts, A = entities × relations the KG's atomic facts.
The pool is a function of (kg_seed, sizes, k, φ), so φ sets how many distinct composed facts a dataset
can contain relative to the atomic facts (pool members are drawn independently, so a few may repeat).
Atomic-fact examples (1 hop) are drawn from all A atomic facts. `atomic: all_in_train` is the Grokked
Transformers setup instead: the task's first A examples are the A atomic facts, each once (person by
person, relation by relation), and the rest are composed per `hops`; a `difficulty` split on `hops`
(threshold >= 1) then puts every atomic fact in train, so every hop of a test path was seen as a fact.
"""

from __future__ import annotations

import random
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import StepGraph, Subgoal
from cotsynth.tasks.kg import chain_claim, entities_of, hop_nodes, kg_knobs, kg_of, knowledge_graph, nest, sentence, walk, wh
from cotsynth.tasks.knobs import FloatRange, IntRange, KnobError


ALL_IN_TRAIN = "all_in_train"
FACT_SLOTS = (3, 10)  # under all_in_train, indices i with i % 10 < 3 ask the atomic facts in order


def fact_number(index: int) -> int | None:
    """The atomic fact an example index asks under `all_in_train`, or None (a composition). Facts are
    spread over the indices, not put first, so any prefix (`--limit`) holds both kinds; every fact is
    asked once the count reaches 10/3 x entities x relations."""
    block, slot = divmod(index, FACT_SLOTS[1])
    return block * FACT_SLOTS[0] + slot if slot < FACT_SLOTS[0] else None


class AtomicShare(IntRange):
    """`atomic`: a percent (or range of percents), or `all_in_train`."""

    def validate(self, value: Any) -> Any:
        if value == ALL_IN_TRAIN:
            return ALL_IN_TRAIN
        try:
            return super().validate(value)
        except KnobError as err:
            raise KnobError(f"{err} (or {ALL_IN_TRAIN!r})") from None

    def sample(self, rng: random.Random, value: Any) -> Any:
        return ALL_IN_TRAIN if value == ALL_IN_TRAIN else super().sample(rng, value)

    def describe(self) -> str:
        return f"{super().describe()}, or {ALL_IN_TRAIN!r}"


@register
class KgCompose(TaskFamily):
    name = "kg_compose"
    description = "k-hop composition of relations over a seeded synthetic knowledge graph of people."
    answer_type = "entity"
    knobs = kg_knobs() | {
        "hops": IntRange("relations composed per question (1 = an atomic fact)", (2, 2), 1, 8),
        "phi": FloatRange("φ: inferred/atomic facts; each hop count k>=2 draws from a pool of "
                          "round(φ·entities·relations) composed facts", (7.2, 7.2), 0.0001, 1000.0),
        "atomic": AtomicShare("percent of examples that ask one atomic fact whatever `hops` says, or "
                              "`all_in_train`: 3 in every 10 examples ask the atomic facts in order, each once",
                              (0, 0), 0, 100),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        return self.generate_at(rng, knobs, None)

    def generate_at(self, rng: random.Random, knobs: dict[str, Any], index: int | None) -> Generated:
        kg = knowledge_graph(knobs["kg_seed"], knobs["entities"], knobs["relations"])
        every = knobs["atomic"] == ALL_IN_TRAIN
        fact = fact_number(index) if every and index is not None else None
        enumerated = fact is not None and fact < kg.atomic_count
        hops = 1 if enumerated or (not every and rng.randrange(100) < knobs["atomic"]) else knobs["hops"]
        if enumerated:
            start, relations = kg.entities[fact // len(kg.relations)], (kg.relations[fact % len(kg.relations)],)
        elif hops == 1:
            start, relations = rng.choice(kg.entities), (rng.choice(kg.relations),)
        else:
            pool = max(1, round(knobs["phi"] * kg.atomic_count))
            start, relations = kg.path(hops, rng.randrange(pool))
        nodes = hop_nodes(kg, start, relations, group_size=2)
        graph = StepGraph(nodes=nodes, subgoals=[], result=nodes[-1].id)
        for group in sorted({n.group for n in nodes}):
            members = [n for n in nodes if n.group == group]
            phrase = nest([kg.relation(n.op) for n in members], graph.resolve(members[0].inputs[0]))
            graph.subgoals.append(Subgoal(group, tuple(n.id for n in members), sentence(phrase, members[-1].output),
                                          f"{wh(kg.relation(members[-1].op))} is {phrase}?", members[-1].output))
        phrase = nest(list(relations), start)
        variables = {
            "phrase": phrase,
            "Phrase": phrase[0].upper() + phrase[1:],
            "subject": start,
            "chain": [r.of(f"X{j}") for j, r in enumerate(relations)],
            "hops": hops,
            "wh": wh(relations[-1]),
        }
        return Generated(variables=variables, answer=nodes[-1].output, graph=graph, knobs={"hops": hops})

    def entities(self, graph: StepGraph) -> list[str]:
        return entities_of(graph)

    def recompute_answer(self, graph: StepGraph) -> str:
        start = graph.nodes[0].inputs[0]
        return walk(kg_of(graph), start, [n.op for n in graph.nodes])[-1]

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        expected = chain_claim(kg_of(graph), graph, node_ids)
        if " ".join(step.split()) != expected:
            return False, f"not a fact of the KG; the KG says: {expected}"
        return True, "a KG fact"
