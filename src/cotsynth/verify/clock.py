"""Clock times and durations (`0:44:16.093`, `12:30`), compared exactly at the precision given.

A colon-separated value is neither a number nor algebra: the later tiers read `0:44:16.093000`
as something else entirely and once took it for `00:44:16.092`. Here it is read field by field as
exact decimals: leading zeros and trailing zeros of the fraction are only spelling, any other digit
counts. The same number of fields on both sides is required, since `12:30` against `12:30:00`
(h:mm or m:ss?) cannot be decided.
"""

from __future__ import annotations

import re
from fractions import Fraction

# h:mm, h:mm:ss or m:ss, the last field optionally with a decimal fraction
_CLOCK = re.compile(r"^([+-]?)(\d{1,3}):([0-5]\d)(?::([0-5]\d))?(?:\.(\d{1,9}))?$")


def read_clock(text: str) -> tuple[Fraction, ...] | None:
    """The fields of a clock time or duration, the last with its exact fraction; None for other text."""
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    sign, first, second, third, decimals = match.groups()
    fields = [Fraction(int(first)), Fraction(int(second))] + ([Fraction(int(third))] if third else [])
    if decimals:
        fields[-1] += Fraction(int(decimals), 10 ** len(decimals))
    if sign == "-":
        fields = [-f for f in fields]
    return tuple(fields)


def compare_clocks(gold: str, pred: str) -> tuple[str, str] | None:
    """(status, reason) when either side is a clock value; None when neither is."""
    g, p = read_clock(gold), read_clock(pred)
    if g is None and p is None:
        return None
    if g is None or p is None:
        return "unverifiable", "a clock value against something else"
    if len(g) != len(p):
        return "unverifiable", f"{len(g)} clock fields against {len(p)} (h:mm or m:ss is ambiguous)"
    if g == p:
        return "match", "the same clock value"
    return "mismatch", "a different clock value"
