"""`modular`: z = a·x + b·y mod p, one task per coefficient pair (a, b) (Learning to grok).

The set of task pairs is global, not per example: the first `pairs` elements of a shuffle of Z_p²
fixed by (p, `pair_seed`), so every example of a run draws from the same tasks, and the pair is
recorded on each record (`knobs.pair`) for a split that holds pairs out.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

from cotsynth.core.seeding import rng_for
from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange

PRIMES = ("5", "7", "11", "13", "17", "19", "23", "29", "31", "37", "41", "43", "47", "53", "59", "61", "67",
          "71", "73", "79", "83", "89", "97", "101", "103", "107", "109", "113", "127")
_CLAIM = re.compile(r"^(?P<u>\d+) (?P<op>[·+]) (?P<v>\d+) = (?P<raw>\d+) ≡ (?P<r>\d+) \(mod (?P<p>\d+)\)$")


@lru_cache(maxsize=256)
def task_pairs(p: int, count: int, pair_seed: int) -> tuple[tuple[int, int], ...]:
    """The (a, b) pairs that exist: all of Z_p² when `count` is 0, else `count` of them, fixed by the seed."""
    pairs = [(a, b) for a in range(p) for b in range(p)]
    if count == 0 or count >= len(pairs):
        return tuple(pairs)
    rng_for("modular-pairs", p, pair_seed).shuffle(pairs)
    return tuple(sorted(pairs[:count]))


def _claim(u: int, op: str, v: int, p: int) -> tuple[str, int]:
    raw = u * v if op == "·" else u + v
    return f"{u} {op} {v} = {raw} ≡ {raw % p} (mod {p})", raw % p


@register
class Modular(TaskFamily):
    name = "modular"
    description = "z = a·x + b·y mod p, one task per coefficient pair (a, b)."
    answer_type = "integer"
    granularities = ("answer", "coarse", "fine", "code")
    knobs = {
        "p": Choice("the prime modulus; each example draws one of the listed primes", ("97",), PRIMES),
        "pairs": IntRange("how many (a, b) task pairs exist (0: all p² of them)", (0, 0), 0, 16129),
        "pair_seed": IntRange("which pairs exist when `pairs` > 0 (same seed, same pairs)", (0, 0), 0, 2**31 - 1),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        p = int(rng.choice(knobs["p"]))
        a, b = rng.choice(task_pairs(p, knobs["pairs"], knobs["pair_seed"]))
        x, y = rng.randrange(p), rng.randrange(p)
        first, u = _claim(a, "·", x, p)
        second, v = _claim(b, "·", y, p)
        total, z = _claim(u, "+", v, p)
        attrs = {"p": p, "a": a, "b": b, "x": x, "y": y}
        nodes = [
            Node("ax", "mul_mod", (str(a), str(x), str(p)), str(u), first, f"What is {a} · {x} mod {p}?", 0, attrs),
            Node("by", "mul_mod", (str(b), str(y), str(p)), str(v), second, f"What is {b} · {y} mod {p}?", 0),
            Node("z", "add_mod", ("@ax", "@by", str(p)), str(z), total, f"What is {u} + {v} mod {p}?", 1),
        ]
        subgoals = [
            Subgoal(0, ("ax", "by"), f"{first} and {second}", f"What are {a} · {x} and {b} · {y} mod {p}?",
                    f"{u}, {v}"),
            Subgoal(1, ("z",), total, nodes[2].question, str(z)),
        ]
        program = f"p = {p}\na, b = {a}, {b}\nx, y = {x}, {y}\nprint((a * x + b * y) % p)\n"
        return Generated(
            variables={"a": a, "b": b, "x": x, "y": y, "p": p},
            answer=str(z),
            graph=StepGraph(nodes, subgoals, "z"),
            program=program,
            knobs={"p": p, "a": a, "b": b, "pair": f"{a},{b}"},
        )

    def recompute_answer(self, graph: StepGraph) -> str:
        """Straight from the task recorded on the graph, not from the nodes' outputs."""
        t = graph.nodes[0].attrs
        return str((t["a"] * t["x"] + t["b"] * t["y"]) % t["p"])

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        """Each `u op v = raw ≡ r (mod p)` is right and states its node's inputs and output."""
        claims = step.split(" and ")
        if len(claims) != len(node_ids):
            return False, f"{len(claims)} claims for {len(node_ids)} graph nodes"
        p = graph.nodes[0].attrs["p"]
        for claim, node_id in zip(claims, node_ids):
            match = _CLAIM.match(claim.strip())
            if not match:
                return False, f"not of the form `u · v = n ≡ r (mod p)`: {claim!r}"
            u, v, raw, r, modulus = (int(match.group(k)) for k in ("u", "v", "raw", "r", "p"))
            if modulus != p:
                return False, f"modulus {modulus}, the task's is {p}"
            if raw != (u * v if match.group("op") == "·" else u + v):
                return False, f"{u} {match.group('op')} {v} is not {raw}"
            if r != raw % p:
                return False, f"{raw} mod {p} is {raw % p}, not {r}"
            node = graph.node(node_id)
            inputs = [graph.resolve(i) for i in node.inputs[:2]]
            if [str(u), str(v)] != inputs or str(r) != node.output:
                return False, f"the graph node computes {' and '.join(inputs)} → {node.output}"
        return True, "holds"
