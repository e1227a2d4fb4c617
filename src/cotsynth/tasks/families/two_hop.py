"""`two_hop`: t = f2(f1(x1, x2), x3) over N tokens with random lookup-table functions.

The Coverage Principle shows that two-hop tasks need training data growing at least quadratically
with the token-set size N, and that path ambiguity (one variable reaching t through both hops) hurts
even with CoT. f1 and f2 are random tables fixed by `table_seed` (shared by every example, so they
are facts to learn, not to compute); a table entry is a hash of (seed, function, arguments), so any
N costs no memory. Tokens are pronounceable pseudo-words ("kavo", "tiremu").
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import IntRange

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = tuple(c + v for c in _CONSONANTS for v in _VOWELS)
_SPREAD = 1_000_003  # a prime coprime to 70: scatters indices so small sets still vary every syllable


def _space(n_tokens: int) -> int:
    width = 2
    while len(_SYLLABLES) ** width < n_tokens:
        width += 1
    return len(_SYLLABLES) ** width


def token(index: int, n_tokens: int) -> str:
    """The name of token `index` of a set of `n_tokens`: at least two syllables, all the same length."""
    space = _space(n_tokens)
    code, parts = index * _SPREAD % space, []
    while space > 1:
        code, digit = divmod(code, len(_SYLLABLES))
        space //= len(_SYLLABLES)
        parts.append(_SYLLABLES[digit])
    return "".join(parts)


def token_index(name: str, n_tokens: int) -> int:
    code = 0
    for k in reversed(range(0, len(name), 2)):
        code = code * len(_SYLLABLES) + _SYLLABLES.index(name[k:k + 2])
    space = _space(n_tokens)
    return code * pow(_SPREAD, -1, space) % space


def lookup(table_seed: int, n_tokens: int, function: str, a: str, b: str) -> str:
    """The random table `function` at (a, b): the same on every machine for the same seed and N."""
    digest = hashlib.blake2b(f"{table_seed}|{n_tokens}|{function}|{a}|{b}".encode(), digest_size=8).digest()
    return token(int.from_bytes(digest, "big") % n_tokens, n_tokens)


@register
class TwoHop(TaskFamily):
    name = "two_hop"
    description = "Two-hop lookup t = f2(f1(x1, x2), x3) over a token set with random function tables."
    answer_type = "string"
    knobs = {
        "tokens": IntRange("size N of the token set (data needed grows ~N^2)", (50, 50), 4, 100_000),
        "ambiguous": IntRange("percent of examples with path ambiguity: t = f2(f1(x1, x2), x2), x2 feeding "
                              "both hops", (0, 0), 0, 100),
        "table_seed": IntRange("seed of the f1/f2 tables, shared by every example", (0, 0), 0, 2**31 - 1),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        n, seed = knobs["tokens"], knobs["table_seed"]
        x1, x2, x3 = (token(rng.randrange(n), n) for _ in range(3))
        ambiguous = rng.randrange(100) < knobs["ambiguous"]
        if ambiguous:
            x3 = x2
        b = lookup(seed, n, "f1", x1, x2)
        t = lookup(seed, n, "f2", b, x3)
        tables = {"table_seed": seed, "tokens": n}
        nodes = [
            Node("b", "f1", (x1, x2), b, f"f1({x1}, {x2}) = {b}", f"What is f1({x1}, {x2})?", 0, tables),
            Node("t", "f2", ("@b", x3), t, f"f2({b}, {x3}) = {t}", f"What is f2({b}, {x3})?", 0, tables),
        ]
        nested = f"f2(f1({x1}, {x2}), {x3})"
        graph = StepGraph(nodes, [Subgoal(0, ("b", "t"), f"{nested} = f2({b}, {x3}) = {t}", f"What is {nested}?", t)],
                          result="t")
        return Generated(variables={"x1": x1, "x2": x2, "x3": x3}, answer=t, graph=graph,
                         knobs={"path_ambiguous": int(ambiguous)})

    def recompute_answer(self, graph: StepGraph) -> str:
        first, second = graph.nodes
        seed, n = first.attrs["table_seed"], first.attrs["tokens"]
        if not all(token_index(x, n) < n for x in (*first.inputs, second.inputs[1])):
            raise ValueError("a token outside the token set")
        return lookup(seed, n, "f2", lookup(seed, n, "f1", *first.inputs), second.inputs[1])

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        first, second = graph.nodes
        seed, n = first.attrs["table_seed"], first.attrs["tokens"]
        x1, x2 = first.inputs
        x3 = second.inputs[1]
        b = lookup(seed, n, "f1", x1, x2)
        if node_ids == ("b",):
            expected = f"f1({x1}, {x2}) = {b}"
        elif node_ids == ("t",):
            given = graph.resolve(second.inputs[0])  # on its own: from the b this step was given
            expected = f"f2({given}, {x3}) = {lookup(seed, n, 'f2', given, x3)}"
        else:
            expected = f"f2(f1({x1}, {x2}), {x3}) = f2({b}, {x3}) = {lookup(seed, n, 'f2', b, x3)}"
        if " ".join(step.split()) != expected:
            return False, f"disagrees with the function tables: {expected}"
        return True, "agrees with the function tables"
