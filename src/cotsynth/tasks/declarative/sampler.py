"""The `variables:` of a family file: how each one is drawn from the problem's seeded rng.

Numbers are exact (`Fraction`); a bound may be an expression over earlier variables
(`{int: [1, "count - 1"]}`). Names drawn from the same list are distinct within a problem.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import Any

from cotsynth.resources import resource_dir
from cotsynth.tasks.declarative.expr import EvalError, Expr, exact

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

    def domain(self, most: int) -> tuple[Any, ...] | None:
        """Every value a draw can give, each as likely as the others (a choice repeated in its list
        appears as often); None for names, ranges with expression bounds, fractions, and more
        than `most` values."""
        if self.kind == "choice":
            return self.values if len(self.values) <= most else None
        grid = _grid(self)
        if grid is None or grid[1] - grid[0] + 1 > most:
            return None
        first, last, step = grid
        return tuple(exact(k * step) for k in range(first, last + 1))

    @cached_property
    def sample(self) -> Callable[[random.Random, dict[str, Any], set[str]], Any]:
        """`sample(rng, env, taken)`: one value drawn from `rng`, built once per variable (constant
        bounds are resolved here, not per draw). The draws from `rng` are the format's definition of
        a problem: they must not change, or every problem of every family file would. So the fixed
        ranges call `rng._randbelow(n)`, which is what `rng.randrange(n)` and `rng.randint(a, b)`
        (= `a + _randbelow(b - a + 1)`) do after checking their arguments: the same numbers, at
        half the cost, on the draw that rejection sampling repeats most."""
        if self.kind == "names":
            names = name_list(self.values[0])
            count = len(names)

            def name(rng: random.Random, env: dict[str, Any], taken: set[str]) -> str:
                while True:  # distinct from names already drawn for this problem (the lists hold hundreds)
                    drawn = names[rng._randbelow(count)]
                    if drawn not in taken:
                        taken.add(drawn)
                        return drawn
            return name
        if self.kind == "choice":
            values, count = self.values, len(self.values)
            return lambda rng, env, taken: values[rng._randbelow(count)]
        low, high = self.low.fn, self.high.fn
        if self.kind == "fraction":
            first_denominator, last_denominator = self.denominators

            def fraction(rng: random.Random, env: dict[str, Any], taken: set[str]) -> int | Fraction:
                lowest, highest = low(env), high(env)
                denominator = rng.randint(first_denominator, last_denominator)
                first, last = _ceil(lowest * denominator), _floor(highest * denominator)
                if first > last:
                    raise EvalError(f"no fraction with denominator {denominator} in [{lowest}, {highest}]")
                return exact(Fraction(rng.randint(first, last), denominator))
            return fraction
        step = self.step
        grid = _grid(self)
        if grid is not None:  # constant bounds: the grid is fixed
            first, last, _ = grid
            if first > last:
                return _empty(f"empty range [{self.low.value}, {self.high.value}]")
            return _on_grid(first, last, step)

        def bounded(rng: random.Random, env: dict[str, Any], taken: set[str]) -> int | Fraction:
            lowest, highest = low(env), high(env)
            if step == 1 and type(lowest) is int and type(highest) is int:  # the common case, without Fractions
                if lowest > highest:
                    raise EvalError(f"empty range [{lowest}, {highest}]")
                return rng.randint(lowest, highest)
            first, last = _ceil(Fraction(lowest) / step), _floor(Fraction(highest) / step)
            if first > last:
                raise EvalError(f"empty range [{lowest}, {highest}]")
            return exact(rng.randint(first, last) * step)
        return bounded


def _grid(variable: Variable) -> tuple[int, int, Fraction] | None:
    """(first, last, step) of a numeric variable with numeric bounds: its values are k × step."""
    if variable.kind not in ("int", "decimal") or variable.low.kind != "num" or variable.high.kind != "num":
        return None
    step = variable.step
    return _ceil(Fraction(variable.low.value) / step), _floor(Fraction(variable.high.value) / step), step


def _empty(reason: str) -> Callable[[random.Random, dict[str, Any], set[str]], Any]:
    def never(rng: random.Random, env: dict[str, Any], taken: set[str]) -> Any:
        raise EvalError(reason)
    return never


def _on_grid(first: int, last: int, step: Fraction) -> Callable[[random.Random, dict[str, Any], set[str]], Any]:
    """Multiples of `step` from first × step to last × step: `rng.randint(first, last)` scaled."""
    width = last - first + 1
    if step == 1:
        return lambda rng, env, taken: first + rng._randbelow(width)
    numerator, denominator = step.numerator, step.denominator
    if numerator == 1:  # a decimal grid: the value is k / 10**p, reduced
        return lambda rng, env, taken: exact(Fraction(first + rng._randbelow(width), denominator))
    return lambda rng, env, taken: exact(Fraction((first + rng._randbelow(width)) * numerator, denominator))


def _floor(value: int | Fraction) -> int:
    return value.numerator // value.denominator


def _ceil(value: int | Fraction) -> int:
    return -(-value.numerator // value.denominator)
