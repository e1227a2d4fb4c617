"""The exact-rational fast path: numeric answers read as `Fraction`s without sympy.

Integers, signs, thousands separators, decimals, `a/b`, `\\frac{a}{b}`, mixed numbers (`1 1/2`),
percentages, scientific notation (`1.5e3`, `1.5 \\times 10^{3}`) and plain arithmetic (through the
whitelisted evaluator). This carries most answers at tens of thousands of pairs per second; anything
it cannot read goes to the symbolic tier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from cotsynth.core.arithmetic import NotRational, UnsafeExpression, evaluate, parse_number

_INT = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:\{,\}\d{3})+|\d+)"
_DEC = rf"(?:{_INT}(?:\.\d*)?|[+-]?\.\d+)"
_NUMBER = re.compile(rf"^{_DEC}$")
_FRACTION = re.compile(rf"^({_DEC})\s*/\s*({_DEC})$")
_LATEX_FRAC = re.compile(r"^([+-]?)\s*\\frac\s*(?:\{\s*([^{}]+?)\s*\}|(\d))\s*(?:\{\s*([^{}]+?)\s*\}|(\d))$")
_SCIENTIFIC = re.compile(rf"^({_DEC})\s*(?:[eE]\s*|(?:\\times|\\cdot|\*)\s*10\s*\^\s*)\{{?\s*([+-]?\d{{1,4}})\s*\}}?$")
_MIXED = re.compile(r"^([+-]?)(\d+)\s*(?:\s(\d+)\s*/\s*(\d+)|\\frac\s*\{(\d+)\}\s*\{(\d+)\})$")
_PERCENT = re.compile(r"^(.*?)\s*(?:\\?%|\s+percent)$")
_UNIT = re.compile(r"^(.*?\d)\s+([A-Za-z]{2,}(?:\s+[A-Za-z]{2,})?)$")
_CURRENCY = re.compile(r"^(?:\\\$|\$|€|£)\s*")
_CONNECTIVES = {"or", "and", "to", "plus", "minus", "times", "over", "divided", "by", "of", "than",
                "more", "less", "not", "is", "equals", "per", "mod", "and", "with"}
_ARITHMETIC = re.compile(r"^[\d\s.+\-*/^()]+$")
_LATEX_ARITHMETIC = ((r"\times", "*"), (r"\cdot", "*"), (r"\div", "/"), ("{", "("), ("}", ")"))


@dataclass(frozen=True)
class Numeric:
    """A number read from an answer, with how it was written where that matters for matching."""

    value: Fraction
    percent: bool = False  # written as `50%`: `value` is 1/2, `percent_of` is 50
    unit: str = ""  # trailing unit words (`12 apples`), lower case

    @property
    def percent_of(self) -> Fraction:
        return self.value * 100


def read_number(text: str) -> Numeric | None:
    """The number `text` states, or None when it is not a plain numeric answer.

    Raises `UnsafeExpression` when the text is arithmetic that the evaluator refuses (too large,
    too deep): such an answer is unverifiable, not merely non-numeric.
    """
    text = _CURRENCY.sub("", text.strip())
    percent = _PERCENT.match(text)
    if percent:
        inner = _value(percent.group(1).strip())
        return Numeric(inner / 100, percent=True) if inner is not None else None
    unit = _UNIT.match(text)
    if unit and not (set(unit.group(2).lower().split()) & _CONNECTIVES):
        inner = _value(unit.group(1).strip())
        if inner is not None:
            return Numeric(inner, unit=" ".join(unit.group(2).lower().split()))
    value = _value(text)
    return Numeric(value) if value is not None else None


def _value(text: str) -> Fraction | None:
    if _NUMBER.match(text):
        return _decimal(text)
    match = _FRACTION.match(text)
    if match:
        num, den = _decimal(match.group(1)), _decimal(match.group(2))
        return num / den if den else None
    match = _LATEX_FRAC.match(text)
    if match:
        num = _value((match.group(2) or match.group(3)).strip())
        den = _value((match.group(4) or match.group(5)).strip())
        if num is None or not den:
            return None
        return -num / den if match.group(1) == "-" else num / den
    match = _SCIENTIFIC.match(text)
    if match:
        exponent = int(match.group(2))
        if abs(exponent) > 400:
            raise UnsafeExpression("exponent larger than 400")
        return _decimal(match.group(1)) * Fraction(10) ** exponent
    match = _MIXED.match(text)
    if match:
        whole = int(match.group(2))
        num, den = int(match.group(3) or match.group(5)), int(match.group(4) or match.group(6))
        if not den or num >= den:
            return None
        value = whole + Fraction(num, den)
        return -value if match.group(1) == "-" else value
    return _arithmetic(text)


def _decimal(text: str) -> Fraction:
    value = parse_number(text.replace("{,}", ""))
    if value is None:
        raise UnsafeExpression(f"unreadable number {text[:40]!r}")
    return value


def _arithmetic(text: str) -> Fraction | None:
    """Plain arithmetic (`2^10`, `3*(4+5)`, `2^{10}`) through the whitelisted evaluator."""
    for latex, plain in _LATEX_ARITHMETIC:
        text = text.replace(latex, plain)
    if not _ARITHMETIC.match(text) or not re.search(r"\d", text):
        return None
    if re.search(r"\d\s+\d", text):
        return None  # `1 2` is two numbers, not one
    try:
        return evaluate(text)
    except NotRational:
        return None


def numbers_equal(gold: Numeric, pred: Numeric, tolerance: float | None = None) -> bool:
    """Exact equality (or within a relative `tolerance` when asked); `50%` also matches a bare `50`."""
    if gold.unit and pred.unit and gold.unit.rstrip("s") != pred.unit.rstrip("s"):
        return False
    candidates = [(gold.value, pred.value)]
    if gold.percent != pred.percent:
        candidates.append((gold.percent_of, pred.value) if gold.percent else (gold.value, pred.percent_of))
    for left, right in candidates:
        if left == right:
            return True
        if tolerance is not None and abs(left - right) <= Fraction(tolerance) * max(abs(left), abs(right)):
            return True
    return False
