"""Exact arithmetic on untrusted text: a whitelisted `ast` walk over `Fraction`, never `eval`.

Used by the fast numeric path of answer checking and by fine-step checks ("12 + 7 * 3 = 33").
Every input is bounded (length, node count, nesting, exponent, bit size) before and during the
walk, so hostile text ends in `UnsafeExpression` with a reason, never in a hang or a crash.
"""

from __future__ import annotations

import ast
from fractions import Fraction

MAX_CHARS = 2_000
MAX_NODES = 400
NODES_PER_CHAR = 3  # a safe bound on syntax nodes per source character (tests/verify: measured 2)
MAX_DEPTH = 60
MAX_EXPONENT = 64
MAX_BITS = 4_096

_TRANSLATE = str.maketrans({"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "^": "**"})


class UnsafeExpression(ValueError):
    """Text that is not a plain, bounded arithmetic expression; `str(err)` says why."""


class NotRational(UnsafeExpression):
    """Well-formed arithmetic whose value need not be rational (`2^(1/2)`): a job for the symbolic tier."""


def _nesting_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def parse_number(text: str) -> Fraction | None:
    """An integer, decimal or `a/b` literal (with sign and thousands separators), else None."""
    cleaned = text.strip().replace(",", "").replace(" ", "").translate(_TRANSLATE)
    if not cleaned or len(cleaned) > MAX_CHARS:
        return None
    try:
        if "/" in cleaned:
            num, _, den = cleaned.partition("/")
            if not _is_decimal(num) or not _is_decimal(den):
                return None
            value = Fraction(num) / Fraction(den)
        elif _is_decimal(cleaned):
            value = Fraction(cleaned)
        else:
            return None
    except (ValueError, ZeroDivisionError):
        return None
    return value


def _is_decimal(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    if not body or body.count(".") > 1:
        return False
    return body.replace(".", "", 1).isdigit()


def evaluate(text: str) -> Fraction:
    """Value of an arithmetic expression in + - * / ** and parentheses, exactly."""
    if len(text) > MAX_CHARS:
        raise UnsafeExpression(f"expression longer than {MAX_CHARS} characters")
    return _value(syntax_tree(text.strip().translate(_TRANSLATE)), 0)


def syntax_tree(source: str, error: type[Exception] = UnsafeExpression) -> ast.expr:
    """The syntax tree of an untrusted expression, bounded in length, nesting and size; `error`
    (with the reason) for anything else. Only a tree is built: nothing is compiled or run."""
    if len(source) > MAX_CHARS:
        raise error(f"expression longer than {MAX_CHARS} characters")
    if not source:
        raise error("empty expression")
    if _nesting_depth(source) > MAX_DEPTH:
        raise error(f"parentheses nested deeper than {MAX_DEPTH}")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
        raise error(f"not an arithmetic expression: {type(err).__name__}") from None
    # A character makes at most 2 syntax nodes (`a<b`: Compare, 2 x (Name, Load), Lt) plus the root,
    # so only sources longer than (MAX_NODES - 1) / NODES_PER_CHAR need counting (nearly every step is
    # shorter, and the count is a third of checking one).
    if NODES_PER_CHAR * len(source) + 1 > MAX_NODES and sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise error(f"more than {MAX_NODES} syntax nodes")
    return tree.body


def _value(node: ast.AST, depth: int) -> Fraction:
    if depth > MAX_DEPTH:
        raise UnsafeExpression(f"expression nested deeper than {MAX_DEPTH}")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = Fraction(str(node.value)) if isinstance(node.value, float) else Fraction(node.value)
        return _bounded(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _value(node.operand, depth + 1)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _value(node.left, depth + 1)
        right = _value(node.right, depth + 1)
        op = node.op
        if isinstance(op, ast.Add):
            return _bounded(left + right)
        if isinstance(op, ast.Sub):
            return _bounded(left - right)
        if isinstance(op, ast.Mult):
            return _bounded(left * right)
        if isinstance(op, ast.Div):
            if right == 0:
                raise UnsafeExpression("division by zero")
            return _bounded(left / right)
        if isinstance(op, ast.Pow):
            return _bounded(power(left, right))
    raise UnsafeExpression(f"disallowed syntax: {type(node).__name__}")


def power(base: Fraction, exponent: Fraction, error: type[Exception] = UnsafeExpression,
          fractional: type[Exception] = NotRational) -> Fraction:
    """`base ** exponent` for an integer exponent of at most MAX_EXPONENT, refused before a result of
    more than MAX_BITS bits is computed (its size is at most exponent × the base's bits)."""
    if exponent.denominator != 1:
        raise fractional("non-integer exponent")
    if abs(exponent) > MAX_EXPONENT:
        raise error(f"exponent larger than {MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise error("division by zero")
    if abs(int(exponent)) * max(base.numerator.bit_length(), base.denominator.bit_length()) > MAX_BITS:
        raise error(f"number larger than {MAX_BITS} bits")
    return Fraction(base) ** int(exponent)


def _bounded(value: Fraction) -> Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise UnsafeExpression(f"number larger than {MAX_BITS} bits")
    return value


def check_equation(text: str) -> tuple[bool, str]:
    """Whether `lhs = rhs` holds exactly; the reason says what failed."""
    if text.count("=") != 1:
        return False, "not a single equation"
    lhs, rhs = text.split("=")
    try:
        left, right = evaluate(lhs), evaluate(rhs)
    except UnsafeExpression as err:
        return False, str(err)
    if left != right:
        return False, f"left side is {format_fraction(left)}, right side is {format_fraction(right)}"
    return True, "holds"


def format_fraction(value: Fraction) -> str:
    """`7`, `-7/3`: the canonical text of an exact rational."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
