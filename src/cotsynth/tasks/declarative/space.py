"""Drawing a family's problems from its valid combinations of givens, instead of by rejection.

When every given that the steps and constraints read has a small fixed domain (an `int` or
`decimal` with numeric bounds, a `choice`), the combinations are enumerated once and judged like a
draw. Rejection sampling keeps a combination with probability (valid ones) / (all ones), each valid
one equally likely; a uniform pick among the valid combinations is the same distribution, in one
draw. It is used where rejection is costly: where at least `ENUMERATE_FROM` of the combinations
are rejected (`work_rates` rejects 99.1%, `mixtures` 93.1%). The givens the computation does not
read (names, words) are drawn after the pick, as rejection sampling would draw them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cotsynth.tasks.declarative.sampler import Variable

LIMIT = 50_000  # combinations enumerated at most (a one-time cost of ~10 µs each)
ENUMERATE_FROM = 0.75  # the share of rejected combinations from which a family draws from the valid ones


@dataclass(frozen=True)
class Space:
    names: tuple[str, ...]  # the givens the steps and constraints read, in file order
    valid: tuple[tuple[tuple[Any, ...], tuple[Any, ...]], ...]  # (their values, the steps' values)
    size: int  # combinations in all
    rejected: Counter  # key -> combinations it rejected

    @property
    def rejection_rate(self) -> float:
        return 1 - len(self.valid) / self.size


def enumerate_space(variables: dict[str, Variable], read: set[str],
                    judge: Callable[[dict[str, Any]], str | tuple[Any, ...]]) -> Space | None:
    """Every combination of the read givens with `judge`'s verdict (a rejecting key, or the steps'
    values); None when a read given has no small fixed domain or there are more than LIMIT."""
    names = tuple(n for n in variables if n in read)
    domains = []
    size = 1
    for name in names:
        domain = variables[name].domain(LIMIT)
        if domain is None:
            return None
        domains.append(domain)
        size *= len(domain)
        if size > LIMIT:
            return None
    valid, rejected = [], Counter()
    for combination in itertools.product(*domains):
        verdict = judge(dict(zip(names, combination)))
        if type(verdict) is str:
            rejected[verdict] += 1
        else:
            valid.append((combination, verdict))
    return Space(names, tuple(valid), size, rejected)
