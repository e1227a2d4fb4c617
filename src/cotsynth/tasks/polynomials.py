"""Exact polynomials for the algebra families (`linear_eq`, `poly`): format them, and read them back.

A polynomial is a dict from exponent tuples (one exponent per variable) to nonzero coefficients,
`int` while they are integers (much faster than `Fraction`, and equal to it) and `Fraction` otherwise. Reading untrusted step text ("3(2x - 5) + 4 = 2x + 7") uses a whitelisted `ast` walk,
never `eval` or sympy parsing, with the same bounds as `core.arithmetic`, so a step check costs
microseconds and hostile text ends in `UnsafeExpression`.
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction
from functools import lru_cache

from cotsynth.core.polynomials import Poly, constant, poly_add, poly_mul, poly_scale
from cotsynth.core.arithmetic import MAX_CHARS, MAX_DEPTH, MAX_EXPONENT, MAX_NODES, UnsafeExpression, format_fraction

_TRANSLATE = str.maketrans({"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "^": "**"})
# implicit multiplication: `3x`, `2(`, `)(`, `)x`, `x(`, `xy`
_IMPLICIT = re.compile(r"(?<=[0-9a-z)])\s*(?=[a-z(])")


@lru_cache(maxsize=4096)
def term_order(mono: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Sort key of the canonical term order: descending total degree, then variable order."""
    return -sum(mono), tuple(-e for e in mono)


@lru_cache(maxsize=65536)
def monomial_text(coef: int | Fraction, mono: tuple[int, ...], variables: tuple[str, ...], leading: bool) -> str:
    """One term with its sign: `3x^2`, ` - x`, ` + 5`; `leading` drops a plus sign. Cached: the same
    few small terms are formatted dozens of times per problem (an int key and its equal Fraction give
    the same text, so sharing an entry is safe)."""
    powers = "".join(v if e == 1 else f"{v}^{e}" for v, e in zip(variables, mono) if e)
    magnitude = abs(coef)
    if powers and magnitude == 1:
        body = powers
    elif powers and magnitude.denominator != 1:
        body = f"({format_fraction(magnitude)}){powers}"
    else:
        body = format_fraction(magnitude) + powers
    if leading:
        return f"-{body}" if coef < 0 else body
    return f" - {body}" if coef < 0 else f" + {body}"


def format_poly(p: Poly, variables: tuple[str, ...]) -> str:
    """Canonical text: terms by descending total degree, then variable order; `0` when empty."""
    if not p:
        return "0"
    if len(p) == 1:
        ((mono, coef),) = p.items()
        return monomial_text(coef, mono, variables, True)
    order = sorted(p, key=term_order)
    return "".join(monomial_text(p[m], m, variables, k == 0) for k, m in enumerate(order))


def parse_poly(text: str, variables: tuple[str, ...]) -> Poly:
    """The polynomial an expression in `variables` denotes, exactly; raises UnsafeExpression."""
    return dict(_parse_poly(text, variables))  # a copy: the cached one must never change


@lru_cache(maxsize=4096)
def _parse_poly(text: str, variables: tuple[str, ...]) -> Poly:
    """Cached (a pure function of the text): most sides of most steps (`x`, `3x`, `-14`) recur."""
    if len(text) > MAX_CHARS:
        raise UnsafeExpression(f"expression longer than {MAX_CHARS} characters")
    fast = _linear(text.strip(), variables)
    if fast is not None:
        return fast
    source = _IMPLICIT.sub("*", text.strip().translate(_TRANSLATE))
    if not source:
        raise UnsafeExpression("empty expression")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
        raise UnsafeExpression(f"not a polynomial: {type(err).__name__}") from None
    return _walk(tree.body, variables, 0, [0])


def _linear(text: str, variables: tuple[str, ...]) -> Poly | None:
    """Fast path for what almost every algebra step states, a flat linear sum (`-3x + 2(y - 4) - 5/2`):
    one regex per term instead of `ast.parse` and a walk. It reads only text the walk reads to the same
    polynomial, and returns None for anything else (which the walk then accepts or rejects)."""
    out: dict[tuple[int, ...], int | Fraction] = {}
    if not _sum_into(text, variables, 1, out, [0]):
        return None
    return {m: c for m, c in out.items() if c}


_NUMBER = "(0|[1-9][0-9]*)"  # ASCII digits, no leading zeros: exactly the integer literals `ast` reads alike
# one signed term: k(flat sum) | n · m | n · (±p[/q]) | n | n/d | [k]v (`n · m` is a system's
# back-substitution); the look-aheads reject implicit products such as `2x3`
_TERM = re.compile(
    rf" *([-+]?) *(?:{_NUMBER}?\(([^()]*)\)"
    rf"|{_NUMBER} *· *(?:{_NUMBER}|\((-?){_NUMBER}(?:/{_NUMBER})?\))(?![0-9a-z(/])"
    rf"|{_NUMBER}(?:/{_NUMBER})?(?![0-9a-z(/])|{_NUMBER}?([a-z])(?![0-9a-z(/]))"
)
# well inside MAX_NODES and MAX_DEPTH for the walk's tree of the same text (at most ~5 nodes a term)
_MAX_FAST_TERMS = 32


def _sum_into(text: str, variables: tuple[str, ...], factor: int, out: dict, count: list[int]) -> bool:
    """Add `factor` times the flat sum `text` to `out`; False when `text` is not one."""
    position, end = 0, len(text)
    while position < end:
        match = _TERM.match(text, position)
        if not match:
            return False
        sign, k, inner, by, bare, negated, over, under, number, denominator, coefficient, name = match.groups()
        # a sign joins every term after the first; the first may only be negated
        if (sign == "+") if position == 0 else not sign:
            return False
        count[0] += 1
        if count[0] > _MAX_FAST_TERMS:
            return False
        value = -factor if sign == "-" else factor
        if inner is not None:
            if not _sum_into(inner, variables, value * (int(k) if k else 1), out, count):
                return False
        else:
            if by is not None:  # a product of constants: fold its first factor in, read the second as a number
                value *= -int(by) if negated else int(by)
                number, denominator = (bare, None) if bare is not None else (over, under)
            if name is None:
                key = (0,) * len(variables)
                if denominator is None:
                    value *= int(number)
                elif denominator == "0":
                    return False
                else:
                    value = Fraction(value * int(number), int(denominator))
            elif name in variables:
                key = tuple(int(v == name) for v in variables)
                value *= int(coefficient) if coefficient else 1
            else:
                return False
            out[key] = out.get(key, 0) + value
        position = match.end()
    return position > 0


def _walk(node: ast.AST, variables: tuple[str, ...], depth: int, seen: list[int]) -> Poly:
    """`seen[0]` counts the syntax nodes visited, so the bound costs nothing extra."""
    if depth > MAX_DEPTH:
        raise UnsafeExpression(f"expression nested deeper than {MAX_DEPTH}")
    seen[0] += 1
    if seen[0] > MAX_NODES:
        raise UnsafeExpression(f"more than {MAX_NODES} syntax nodes")
    n = len(variables)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return constant(node.value, n)
    if isinstance(node, ast.Name) and node.id in variables:
        return {tuple(int(v == node.id) for v in variables): 1}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        inner = _walk(node.operand, variables, depth + 1, seen)
        return poly_scale(inner, -1) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _walk(node.left, variables, depth + 1, seen)
        right = _walk(node.right, variables, depth + 1, seen)
        if isinstance(node.op, ast.Add):
            return poly_add(left, right)
        if isinstance(node.op, ast.Sub):
            return poly_add(left, right, -1)
        if isinstance(node.op, ast.Mult):
            return _bounded(poly_mul(left, right))
        if isinstance(node.op, ast.Div):
            divisor = _constant_value(right, n)
            if divisor == 0:
                raise UnsafeExpression("division by zero")
            return poly_scale(left, Fraction(1) / divisor)
        if isinstance(node.op, ast.Pow):
            exponent = _constant_value(right, n)
            if exponent.denominator != 1 or not 0 <= exponent <= MAX_EXPONENT:
                raise UnsafeExpression(f"exponent must be an integer in [0, {MAX_EXPONENT}]")
            result = constant(1, n)
            for _ in range(int(exponent)):
                result = _bounded(poly_mul(result, left))
            return result
    raise UnsafeExpression(f"disallowed syntax: {type(node).__name__}")


def _constant_value(p: Poly, n_vars: int) -> int | Fraction:
    if any(m != (0,) * n_vars for m in p):
        raise UnsafeExpression("only a constant may divide or be an exponent")
    return p.get((0,) * n_vars, 0)


def _bounded(p: Poly) -> Poly:
    if len(p) > MAX_NODES or any(sum(m) > MAX_EXPONENT for m in p):
        raise UnsafeExpression("polynomial too large")
    return p


def parse_equation(text: str, variables: tuple[str, ...]) -> Poly:
    """`lhs = rhs` as the polynomial lhs - rhs (zero exactly when the equation holds)."""
    if text.count("=") != 1:
        raise UnsafeExpression("not a single equation")
    lhs, rhs = text.split("=")
    return poly_add(_parse_poly(lhs, variables), _parse_poly(rhs, variables), -1)  # poly_add copies, never mutates
