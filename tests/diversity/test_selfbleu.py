"""Self-BLEU against its definition: each text's BLEU-4 with every other text as a reference."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.diversity.selfbleu import MAX_ORDER, _closest_other_lengths, self_bleu
from cotsynth.diversity.text import tokenize


def reference_self_bleu(docs: list[list[str]]) -> float:
    """The quadratic definition: clip each n-gram count by its largest count in any other text."""
    grams = [[Counter(tuple(t[k : k + n]) for k in range(len(t) - n + 1)) for n in range(1, MAX_ORDER + 1)] for t in docs]
    scores = []
    for i, t in enumerate(docs):
        if not t:
            continue
        log_p = 0.0
        for n in range(MAX_ORDER):
            total = sum(grams[i][n].values())
            clipped = sum(min(c, max((grams[j][n][g] for j in range(len(docs)) if j != i), default=0))
                          for g, c in grams[i][n].items())
            log_p += math.log((clipped or 0.1) / total) if total else math.log(0.1)
        others = [len(d) for j, d in enumerate(docs) if j != i]
        ref = min(others, key=lambda x: (abs(x - len(t)), x))
        bp = 1.0 if len(t) > ref else math.exp(1 - ref / len(t))
        scores.append(bp * math.exp(log_p / MAX_ORDER))
    return sum(scores) / len(scores)


@pytest.mark.parametrize("seed", range(5))
def test_self_bleu_matches_the_definition(seed):
    rng = random.Random(seed)
    words = ["a", "b", "c", "d", "plus", "7", "=", "the"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(2, 40))]
    tokens = tokenize(texts)
    assert self_bleu(tokens) == pytest.approx(reference_self_bleu(tokens.to_pylist()), rel=1e-12)
    assert self_bleu(tokens.to_pylist()) == self_bleu(tokens)


def test_self_bleu_of_identical_and_disjoint_texts():
    assert self_bleu([["x", "y", "z", "w"]] * 3) == pytest.approx(1.0)
    smoothed = math.exp(sum(math.log(0.1 / total) for total in (4, 3, 2, 1)) / 4)  # no n-gram shared
    assert self_bleu([["a", "b", "c", "d"], ["e", "f", "g", "h"]]) == pytest.approx(smoothed)
    assert self_bleu([["a"]]) == 0.0


@settings(deadline=None)
@given(st.lists(st.integers(0, 12), min_size=2, max_size=40))
def test_closest_other_length_is_the_brute_force_one(lengths):
    expected = [min((abs(other - length), other) for j, other in enumerate(lengths) if j != i)[1]
                for i, length in enumerate(lengths)]
    assert _closest_other_lengths(np.array(lengths, np.int64)).tolist() == expected
