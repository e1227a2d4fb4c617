"""The seeded synthetic knowledge graph shared by `kg_compose` and `kg_compare`.

A KG is a function of (kg_seed, entity count, relation count) only, never of the example index, so
every example of a task (and every task with the same settings) talks about one world. Entities are
people named from data/names/, relations and attributes come from data/kg/. Every relation is a
function (each person has exactly one mentor, one birthplace, ...), so a chain of relations always
has an answer. Names are fictional and facts random: the KG cannot be answered from world knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from cotsynth.resources import resource_dir
from cotsynth.core.seeding import rng_for
from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.tasks.knobs import IntRange

PERSON = "person"


@dataclass(frozen=True)
class Relation:
    name: str  # the atom: "mentor_of"
    phrase: str  # "the mentor of {x}"
    range: str  # "person" (chains further) or "city" (last hop only)

    def of(self, subject: str) -> str:
        return self.phrase.format(x=subject)


@dataclass(frozen=True)
class Attribute:
    name: str
    fact: str  # "{x} was born in {v}."
    ask: str
    low: int
    high: int
    greater: str  # the word true of the person with the larger value ("younger")
    lesser: str


@lru_cache(maxsize=None)
def _lines(relative: str) -> tuple[str, ...]:
    text = (resource_dir("data") / relative).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=None)
def all_relations() -> tuple[Relation, ...]:
    data = yaml.safe_load((resource_dir("data") / "kg" / "relations.yaml").read_text(encoding="utf-8"))
    return tuple(Relation(**entry) for entry in data)


@lru_cache(maxsize=None)
def all_attributes() -> tuple[Attribute, ...]:
    data = yaml.safe_load((resource_dir("data") / "kg" / "attributes.yaml").read_text(encoding="utf-8"))
    return tuple(Attribute(**entry) for entry in data)


def attribute(name: str) -> Attribute:
    return next(a for a in all_attributes() if a.name == name)


def max_entities() -> int:
    return len(_lines("names/first_names.txt")) * len(_lines("names/surnames.txt"))


def sentence(phrase: str, value: str) -> str:
    """A fact as a sentence: "The mentor of Alice Moreau is Bob Tran."."""
    return f"{phrase[0].upper()}{phrase[1:]} is {value}."


def wh(relation: Relation) -> str:
    return "Who" if relation.range == PERSON else "What"


@dataclass(frozen=True)
class KnowledgeGraph:
    seed: int
    entities: tuple[str, ...]
    relations: tuple[Relation, ...]
    facts: dict[tuple[str, str], str]  # (head, relation name) -> tail
    values: dict[tuple[str, str], int]  # (person, attribute name) -> value

    @property
    def params(self) -> list[int]:
        """What rebuilds this KG: recorded on graph nodes so a checker needs nothing else."""
        return [self.seed, len(self.entities), len(self.relations)]

    @property
    def atomic_count(self) -> int:
        return len(self.facts)

    def relation(self, name: str) -> Relation:
        return next(r for r in self.relations if r.name == name)

    def chaining(self) -> tuple[Relation, ...]:
        """Relations whose value is a person, so another hop can follow."""
        return tuple(r for r in self.relations if r.range == PERSON)

    def path(self, hops: int, index: int) -> tuple[str, tuple[Relation, ...]]:
        """The `index`-th composed fact of the pool of `hops`-hop facts: (start person, relations).

        Derived from (kg seed, hops, index) alone, so a pool of any size needs no memory.
        """
        rng = rng_for("kg-path", *self.params, hops, index)
        start = self.entities[rng.randrange(len(self.entities))]
        chain = [rng.choice(self.chaining()) for _ in range(hops - 1)]
        return start, tuple(chain + [rng.choice(self.relations)])


@lru_cache(maxsize=8)
def knowledge_graph(seed: int, entities: int, relations: int) -> KnowledgeGraph:
    """The KG for (seed, sizes): built once per process and shared by every example."""
    rng = rng_for("kg", seed, entities, relations)
    firsts, surnames = _lines("names/first_names.txt"), _lines("names/surnames.txt")
    if not 2 <= entities <= len(firsts) * len(surnames):
        raise ValueError(f"entities must lie in [2, {len(firsts) * len(surnames)}], got {entities}")
    people = tuple(
        f"{firsts[i // len(surnames)]} {surnames[i % len(surnames)]}"
        for i in rng.sample(range(len(firsts) * len(surnames)), entities)
    )
    pool = list(all_relations())
    rng.shuffle(pool)
    chosen = pool[:relations]
    if all(r.range != PERSON for r in chosen):  # a KG needs one chaining relation for multi-hop paths
        chosen[0] = next(r for r in pool if r.range == PERSON)
    cities = _lines("kg/cities.txt")
    facts: dict[tuple[str, str], str] = {}
    for head in people:
        for relation in chosen:
            if relation.range == PERSON:
                tail = people[rng.randrange(entities - 1)]
                facts[(head, relation.name)] = people[-1] if tail == head else tail  # nobody is their own mentor
            else:
                facts[(head, relation.name)] = rng.choice(cities)
    values = {(p, a.name): rng.randint(a.low, a.high) for p in people for a in all_attributes()}
    return KnowledgeGraph(seed, people, tuple(chosen), facts, values)


def kg_knobs() -> dict[str, IntRange]:
    """The knobs that fix the KG; kg_compare shares them so both families can talk about one world."""
    return {
        "entities": IntRange("number of people in the KG", (200, 200), 2, max_entities()),
        "relations": IntRange("number of relations in the KG (each a function of a person)", (10, 10), 1,
                              len(all_relations())),
        "kg_seed": IntRange("seed of the KG; the KG depends on this and the sizes only, not on the example",
                            (0, 0), 0, 2**31 - 1),
    }


def kg_of(graph: StepGraph) -> KnowledgeGraph:
    """The KG a graph's facts come from, rebuilt from the parameters its nodes record."""
    return knowledge_graph(*graph.nodes[0].attrs["kg"])


def walk(kg: KnowledgeGraph, start: str, relations: list[str]) -> list[str]:
    """The people/cities reached hop by hop, looked up in the KG."""
    reached, current = [], start
    for name in relations:
        current = kg.facts[(current, name)]
        reached.append(current)
    return reached


def nest(relations: list[Relation], subject: str) -> str:
    """ "the mentor of the rival of Alice Moreau" for relations [rival_of, mentor_of]."""
    for relation in relations:
        subject = relation.of(subject)
    return subject


def hop_nodes(kg: KnowledgeGraph, start: str, relations: tuple[Relation, ...], group_size: int,
              first_group: int = 0, prefix: str = "h") -> list[Node]:
    """One node per hop, each stating its KG fact; hops are grouped `group_size` at a time."""
    nodes: list[Node] = []
    head = start
    for j, (relation, tail) in enumerate(zip(relations, walk(kg, start, [r.name for r in relations]))):
        nodes.append(Node(
            id=f"{prefix}{j}",
            op=relation.name,
            inputs=(REF + nodes[-1].id if nodes else start,),
            output=tail,
            text=sentence(relation.of(head), tail),
            question=f"{wh(relation)} is {relation.of(head)}?",
            group=first_group + j // group_size,
            attrs={"kg": kg.params},
        ))
        head = tail
    return nodes


def chain_claim(kg: KnowledgeGraph, graph: StepGraph, node_ids: tuple[str, ...]) -> str:
    """The true statement of consecutive hop nodes, recomputed from the KG from their first head."""
    nodes = [graph.node(i) for i in node_ids]
    head = graph.resolve(nodes[0].inputs[0])
    relations = [kg.relation(n.op) for n in nodes]
    return sentence(nest(relations, head), walk(kg, head, [r.name for r in relations])[-1])
