"""Synthetic fine traces for step-label tests and the benchmark: arithmetic chains and KG hops,
with one step corrupted (a wrong value or a wrong fact). Built directly as StepGraphs."""

from __future__ import annotations

import random
from fractions import Fraction

from cotsynth.core.graph import Node, StepGraph, Subgoal
from cotsynth.core.arithmetic import format_fraction

OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
COUNTRIES = {"France": "Paris", "Japan": "Tokyo", "Peru": "Lima", "Kenya": "Nairobi", "Chile": "Santiago",
             "Egypt": "Cairo", "Norway": "Oslo", "Canada": "Ottawa", "Italy": "Rome", "Spain": "Madrid"}
PEOPLE = {"Ada": "France", "Bo": "Japan", "Cy": "Peru", "Di": "Kenya", "Ed": "Chile", "Flo": "Egypt",
          "Gus": "Norway", "Hal": "Canada", "Ivy": "Italy", "Jo": "Spain"}
LANGUAGES = {"Paris": "French", "Tokyo": "Japanese", "Lima": "Spanish", "Nairobi": "Swahili",
             "Santiago": "Spanish", "Cairo": "Arabic", "Oslo": "Norwegian", "Ottawa": "English",
             "Rome": "Italian", "Madrid": "Spanish"}
ENTITIES = sorted(set(COUNTRIES) | set(COUNTRIES.values()) | set(LANGUAGES.values()))


def arith_graph(rng: random.Random) -> StepGraph:
    nodes, value = [], Fraction(rng.randint(2, 99))
    previous = None
    for k in range(rng.randint(2, 6)):
        op, b = rng.choice(list(OPS)), rng.randint(2, 99)
        result = OPS[op](value, b)
        a_text = format_fraction(value)
        nodes.append(Node(id=f"n{k}", op={"+": "add", "-": "sub", "*": "mul"}[op],
                          inputs=(f"@{previous}" if previous else a_text, str(b)), output=format_fraction(result),
                          text=f"{a_text} {op} {b} = {format_fraction(result)}",
                          question=f"What is {a_text} {op} {b}?", group=k))
        value, previous = result, f"n{k}"
    return StepGraph(nodes=nodes, subgoals=_subgoals(nodes), result=nodes[-1].id)


def kg_graph(rng: random.Random) -> StepGraph:
    person = rng.choice(sorted(PEOPLE))
    country = PEOPLE[person]
    capital = COUNTRIES[country]
    nodes = [
        Node("n0", "born_in", (person,), country, f"{person} was born in {country}.",
             f"Where was {person} born?", 0),
        Node("n1", "capital_of", ("@n0",), capital, f"The capital of {country} is {capital}.",
             f"What is the capital of {country}?", 1),
        Node("n2", "language_of", ("@n1",), LANGUAGES[capital], f"People in {capital} speak {LANGUAGES[capital]}.",
             f"What language is spoken in {capital}?", 2),
    ]
    return StepGraph(nodes=nodes[: rng.randint(2, 3)], subgoals=[], result="n1")


def _subgoals(nodes: list[Node]) -> list[Subgoal]:
    return [Subgoal(n.group, (n.id,), n.text, n.question, n.output) for n in nodes]


def corrupt(graph: StepGraph, rng: random.Random) -> tuple[list[str], int]:
    """The fine trace with one step's value (or fact) replaced by a wrong one, and that step's index."""
    steps = [n.text for n in graph.nodes]
    index = rng.randrange(len(steps))
    node = graph.nodes[index]
    if node.op in ("add", "sub", "mul"):
        right = Fraction(node.output)
        wrong = right + rng.choice([-10, -2, -1, 1, 2, 10]) if rng.random() < 0.7 else right * rng.choice([2, -1])
        if wrong == right:
            wrong += 1
        wrong_text = format_fraction(wrong)
    else:
        wrong_text = rng.choice([e for e in ENTITIES if e != node.output])
    head, _, tail = steps[index].rpartition(node.output)
    steps[index] = head + wrong_text + tail
    return steps, index


def corpus(n: int, seed: int = 0):
    """n (graph, corrupted steps, corrupted index) triples, half arithmetic and half KG."""
    rng = random.Random(seed)
    for k in range(n):
        graph = arith_graph(rng) if k % 2 == 0 else kg_graph(rng)
        steps, index = corrupt(graph, rng)
        yield graph, steps, index
