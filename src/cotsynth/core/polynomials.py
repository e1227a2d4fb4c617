"""Sparse polynomials with exact coefficients: a dict from a monomial key to a nonzero coefficient.

The kernel shared by the algebra families (`tasks.polynomials`: keys are exponent tuples, one per
variable) and the answer checker (`verify.algebra`: keys are (monomial, square-free radicand)). A
coefficient stays an `int` while it is one (much faster than `Fraction`, and equal to it).
"""

from __future__ import annotations

from collections.abc import Hashable
from fractions import Fraction

Poly = dict[Hashable, int | Fraction]


def poly_add(p: Poly, q: Poly, sign: int = 1) -> Poly:
    out = dict(p)
    for mono, coef in q.items():
        value = out.get(mono, 0) + sign * coef
        if value:
            out[mono] = value
        else:
            out.pop(mono, None)
    return out


def poly_mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            out = poly_add(out, {tuple(a + b for a, b in zip(m1, m2)): c1 * c2})
    return out


def poly_scale(p: Poly, factor: int | Fraction) -> Poly:
    return {m: c * factor for m, c in p.items()} if factor else {}


def constant(value: int | Fraction, n_vars: int) -> Poly:
    return {(0,) * n_vars: value} if value else {}
