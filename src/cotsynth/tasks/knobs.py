"""Difficulty knobs: what a pipeline YAML may set for a family, checked before any work starts.

A range knob accepts one value or an inclusive `[min, max]` range that each example samples from; a
choice knob accepts a non-empty subset of allowed values that the generator draws from. Each
example records the values it actually used, so splits by difficulty can read them back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


class KnobError(ValueError):
    """A knob value that a family cannot take; `str(err)` is the reason, the caller adds the path."""


@dataclass(frozen=True)
class IntRange:
    doc: str
    default: tuple[int, int]
    min: int
    max: int

    def validate(self, value: Any) -> tuple[int, int]:
        if isinstance(value, bool):
            raise KnobError(f"expected an integer or a [min, max] range, got {value!r}")
        if isinstance(value, int):
            low = high = value
        elif isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            low, high = value
        else:
            raise KnobError(f"expected an integer or a [min, max] range of integers, got {value!r}")
        if low > high:
            raise KnobError(f"range [{low}, {high}] is inverted (min > max)")
        if low < self.min or high > self.max:
            raise KnobError(f"must lie within [{self.min}, {self.max}], got [{low}, {high}]")
        return (low, high)

    def sample(self, rng: random.Random, value: tuple[int, int]) -> int:
        return rng.randint(value[0], value[1])

    def describe(self) -> str:
        return f"int range in [{self.min}, {self.max}]"


@dataclass(frozen=True)
class Choice:
    doc: str
    default: tuple[str, ...]
    allowed: tuple[str, ...]

    def validate(self, value: Any) -> tuple[str, ...]:
        values = [value] if isinstance(value, (str, int)) else value
        if not isinstance(values, (list, tuple)) or not values:
            raise KnobError(f"expected a non-empty list drawn from {list(self.allowed)}, got {value!r}")
        # numeric choices (modular's primes) are spelled as strings; YAML gives them as integers
        values = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values]
        unknown = [v for v in values if v not in self.allowed]
        if unknown:
            raise KnobError(f"unknown value(s) {unknown}; allowed: {list(self.allowed)}")
        return tuple(v for v in self.allowed if v in values)  # canonical order

    def sample(self, rng: random.Random, value: tuple[str, ...]) -> tuple[str, ...]:
        return value

    def describe(self) -> str:
        return f"subset of {list(self.allowed)}"


@dataclass(frozen=True)
class FloatRange:
    """A real-valued knob (e.g. kg_compose's φ): one number or an inclusive `[min, max]` range."""

    doc: str
    default: tuple[float, float]
    min: float
    max: float

    def validate(self, value: Any) -> tuple[float, float]:
        values = value if isinstance(value, (list, tuple)) else [value]
        if len(values) not in (1, 2) or not all(_is_real(v) for v in values):
            raise KnobError(f"expected a number or a [min, max] range of numbers, got {value!r}")
        low, high = float(values[0]), float(values[-1])  # numeric strings come from `preview --knob`
        if low > high:
            raise KnobError(f"range [{low}, {high}] is inverted (min > max)")
        if low < self.min or high > self.max:
            raise KnobError(f"must lie within [{self.min}, {self.max}], got [{low}, {high}]")
        return (low, high)

    def sample(self, rng: random.Random, value: tuple[float, float]) -> float:
        return value[0] if value[0] == value[1] else rng.uniform(value[0], value[1])

    def describe(self) -> str:
        return f"real range in [{self.min}, {self.max}]"


def _is_real(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == value  # not NaN
    try:
        return isinstance(value, str) and float(value) == float(value)
    except ValueError:
        return False


Knob = IntRange | Choice | FloatRange


def resolve_knobs(specs: dict[str, Knob], given: dict[str, Any]) -> dict[str, Any]:
    """Validated knob settings with defaults filled in; raises KnobError naming the bad knob."""
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise KnobError(f"{unknown[0]}: unknown knob; this family has {sorted(specs)}")
    resolved = {}
    for name, spec in specs.items():
        try:
            resolved[name] = spec.validate(given[name]) if name in given else spec.default
        except KnobError as err:
            raise KnobError(f"{name}: {err}") from None
    return resolved
