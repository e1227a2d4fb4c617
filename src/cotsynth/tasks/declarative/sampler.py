"""The `variables:` of a family file: how each one is drawn from the problem's seeded rng.

Numbers are exact (`Fraction`); a bound may be an expression over earlier variables
(`{int: [1, "count - 1"]}`). Names drawn from the same list are distinct within a problem.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from cotsynth.resources import resource_dir
from cotsynth.tasks.declarative.expr import EvalError, Expr, evaluate, exact

NAME_LISTS = {"people": "first_names", "first_names": "first_names", "surnames": "surnames"}
KINDS = ("names", "choice", "int", "decimal", "fraction")


@lru_cache(maxsize=None)
def name_list(list_name: str) -> tuple[str, ...]:
    path = resource_dir("data") / "names" / f"{NAME_LISTS[list_name]}.txt"
    return tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@dataclass(frozen=True)
class Variable:
    """One given of a problem. `low`/`high` are parsed bounds; `values` the choices or a name list."""

    name: str
    kind: str
    values: tuple[Any, ...] = ()  # choice: Fractions or strings; names: the list's name (one item)
    low: Expr | None = None
    high: Expr | None = None
    step: Fraction = Fraction(1)  # int: multiples of `step`; decimal: the grid 10**-places
    denominators: tuple[int, int] = (2, 10)  # fraction

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "decimal", "fraction") or (
            self.kind == "choice" and all(isinstance(v, (int, Fraction)) for v in self.values)
        )

    def sample(self, rng: random.Random, env: dict[str, Any], taken: set[str]) -> Any:
        if self.kind == "names":
            names = name_list(self.values[0])
            while True:  # distinct from names already drawn for this problem (the lists hold hundreds)
                name = names[rng.randrange(len(names))]
                if name not in taken:
                    taken.add(name)
                    return name
        if self.kind == "choice":
            return self.values[rng.randrange(len(self.values))]
        low, high = evaluate(self.low, env), evaluate(self.high, env)
        if self.kind == "fraction":
            denominator = rng.randint(*self.denominators)
            first, last = _ceil(low * denominator), _floor(high * denominator)  # ints have .numerator too
            if first > last:
                raise EvalError(f"no fraction with denominator {denominator} in [{low}, {high}]")
            return exact(Fraction(rng.randint(first, last), denominator))
        if self.step == 1 and type(low) is int and type(high) is int:  # the common case, without Fractions
            if low > high:
                raise EvalError(f"empty range [{low}, {high}]")
            return rng.randint(low, high)
        first, last = _ceil(Fraction(low) / self.step), _floor(Fraction(high) / self.step)
        if first > last:
            raise EvalError(f"empty range [{low}, {high}]")
        return exact(rng.randint(first, last) * self.step)


def _floor(value: int | Fraction) -> int:
    return value.numerator // value.denominator


def _ceil(value: int | Fraction) -> int:
    return -(-value.numerator // value.denominator)
