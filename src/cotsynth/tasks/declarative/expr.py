"""The expression language of a family file: a whitelisted `ast` walk, compiled to closures over
exact values.

A family file is untrusted text, so an expression is only ever parsed (`ast.parse(mode="eval")`
builds a syntax tree; nothing is compiled or run by Python) and converted into this module's own
small tree; any syntax outside the whitelist is an `ExprError`. Each tree is turned once into nested
Python closures of this module (`Expr.fn`), so a family evaluates its steps thousands of times
without walking the tree. Values are numbers (`int`, or `Fraction` when not integral: exact
arithmetic with bounded exponents and bit sizes), text (`str`, bounded in length) and, in
conditions, booleans. A value that cannot be computed (division by zero, a huge power, an index out
of range) is an `EvalError`, on which the sampler draws again.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from math import gcd
from operator import itemgetter
from typing import Any

from cotsynth.core.arithmetic import MAX_BITS, MAX_DEPTH, format_fraction, power, syntax_tree

BINARY = {ast.Add: ("add", "+"), ast.Sub: ("sub", "-"), ast.Mult: ("mul", "*"), ast.Div: ("div", "/"),
          ast.FloorDiv: ("floordiv", "//"), ast.Mod: ("mod", "%"), ast.Pow: ("pow", "**")}
ATOMS = {symbol: name for name, symbol in BINARY.values()}
COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
FUNCTIONS = {"min": (2, None), "max": (2, None), "abs": (1, 1), "round": (1, 2), "floor": (1, 1), "ceil": (1, 1),
             "text": (1, 1), "nth": (2, None), "position": (2, None)}
PRECEDENCE = {"if": 0, "or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6,
              "neg": 7, "**": 8, "atom": 9}
MAX_TEXT = 1_000  # characters of a text value (a literal, or a join)
_LIMIT = 1 << MAX_BITS  # |n| < _LIMIT  <=>  n.bit_length() <= MAX_BITS


class ExprError(ValueError):
    """An expression outside the language (bad syntax, unknown function, too large); `str` says why."""


class EvalError(ArithmeticError):
    """A value that cannot be computed for this draw (division by zero, a huge power): draw again."""


@dataclass(frozen=True)
class Expr:
    """A node of a parsed expression. `kind` is num, str, name, bin, neg, not, call, cmp, bool or if
    (whose args are body, test, orelse: the source order of `a if c else b`)."""

    kind: str
    op: str = ""  # the operator symbol, function name, comparison chain ("<,<=") or and/or
    args: tuple["Expr", ...] = ()
    value: Any = None  # num: int | Fraction; str: the text
    name: str = ""  # name

    def names(self) -> frozenset[str]:
        return self._names

    @cached_property
    def _names(self) -> frozenset[str]:
        """Every name the expression reads (cached: verification asks for it on every step)."""
        if self.kind == "name":
            return frozenset((self.name,))
        return frozenset().union(*(a.names() for a in self.args))

    @cached_property
    def fn(self) -> Callable[[dict[str, Any]], Any]:
        """The expression as a closure over an environment of values: built once per tree."""
        return _compile(self)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its compiled closure (rebuilt on first use)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("fn", "_names")}

    @property
    def atom(self) -> str:
        """The top-level operation as a graph atom (`add`, `mul`, `min`, ...): the arith families' names."""
        if self.kind == "bin":
            return ATOMS[self.op]
        return {"num": "value", "str": "value", "name": "value", "neg": "neg", "call": self.op, "cmp": "compare",
                "not": "not", "bool": self.op, "if": "if"}[self.kind]

    @property
    def operands(self) -> tuple["Expr", ...]:
        """What the top-level operation takes: its arguments, or itself for a bare name or number;
        for `a if x > y else b`, the comparison's operands in place of the comparison (so the steps
        compared are the node's inputs: graph edges)."""
        if self.kind == "if" and self.args[1].kind == "cmp":
            body, test, orelse = self.args
            return (body, *test.args, orelse)
        return self.args if self.args else (self,)

    @property
    def is_boolean(self) -> bool:
        return self.kind in ("cmp", "not", "bool")


def parse(text: Any) -> Expr:
    """The expression in `text` (a string, or a YAML number), or an ExprError naming what is wrong."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExprError(f"expected an expression, got {type(text).__name__}")
    return _convert(syntax_tree(str(text).strip(), ExprError), 0)


def _convert(node: ast.AST, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise ExprError(f"nested deeper than {MAX_DEPTH}")
    deeper = depth + 1
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise ExprError("not a finite number")
        value = exact(Fraction(repr(node.value))) if isinstance(node.value, float) else node.value
        return Expr("num", value=_bounded(value, ExprError))
    if isinstance(node, ast.Constant) and type(node.value) is str:
        if len(node.value) > MAX_TEXT:
            raise ExprError(f"a text longer than {MAX_TEXT} characters")
        return Expr("str", value=node.value)
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExprError(f"function {node.id!r} used without a call")
        return Expr("name", name=node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return Expr("bin", BINARY[type(node.op)][1], (_convert(node.left, deeper), _convert(node.right, deeper)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return Expr("neg", "-", (_convert(node.operand, deeper),))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return _convert(node.operand, deeper)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Expr("not", "not", (_convert(node.operand, deeper),))
    if isinstance(node, ast.BoolOp):
        return Expr("bool", "and" if isinstance(node.op, ast.And) else "or",
                    tuple(_convert(v, deeper) for v in node.values))
    if isinstance(node, ast.Compare) and all(type(op) in COMPARE for op in node.ops):
        operands = (_convert(node.left, deeper), *(_convert(c, deeper) for c in node.comparators))
        return Expr("cmp", ",".join(COMPARE[type(op)] for op in node.ops), operands)
    if isinstance(node, ast.IfExp):
        return Expr("if", "if", tuple(_convert(n, deeper) for n in (node.body, node.test, node.orelse)))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExprError(f"only the functions {', '.join(FUNCTIONS)} can be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ExprError(f"{name}() takes no keyword arguments")
        low, high = FUNCTIONS[name]
        if len(node.args) < low or (high is not None and len(node.args) > high):
            most = "" if high == low else f" to {high}" if high else " or more"
            raise ExprError(f"{name}() takes {low}{most} arguments")
        return Expr("call", name, tuple(_convert(a, deeper) for a in node.args))
    raise ExprError(f"disallowed syntax: {type(node).__name__}")


# -- values ------------------------------------------------------------------------------------------

def exact(value: int | Fraction) -> int | Fraction:
    """Integral values as `int`: the same number, and arithmetic on it is many times cheaper."""
    return value.numerator if value.denominator == 1 else value


@lru_cache(maxsize=1 << 16)
def number(text: str) -> int | Fraction:
    """A canonical value text (`35`, `-7/2`, `2.5`) as an exact number (cached: verification reads the
    same few values over and over)."""
    return int(text) if text.lstrip("-").isdigit() else exact(Fraction(text))


def _bounded(value: Any, error: type[Exception] = EvalError) -> Any:
    if type(value) is int:
        if -_LIMIT < value < _LIMIT:
            return value
    elif value.numerator.bit_length() <= MAX_BITS and value.denominator.bit_length() <= MAX_BITS:
        return value
    raise error(f"a number larger than {MAX_BITS} bits")


def _divide(kind: str, a: int | Fraction, b: int | Fraction) -> int | Fraction:
    if b == 0:
        raise EvalError("division by zero")
    if kind == "/":
        return exact(Fraction(a, b) if isinstance(a, int) and isinstance(b, int) else a / b)
    return exact(a // b) if kind == "//" else exact(a % b)


def _join(a: str, b: str) -> str:
    if len(a) + len(b) > MAX_TEXT:
        raise EvalError(f"a text longer than {MAX_TEXT} characters")
    return a + b


def _add(a: Any, b: Any) -> Any:
    if type(a) is str or type(b) is str:
        if type(a) is not type(b):
            raise EvalError("text and a number cannot be added")
        return _join(a, b)
    return exact(a + b)


def _round(value: int | Fraction, places: int | Fraction = 0) -> int | Fraction:
    """Python's `round` on exact values (half to even), so a `code` trace's program agrees."""
    if places.denominator != 1 or not 0 <= places <= 12:
        raise EvalError("round() places must be an integer in [0, 12]")
    return exact(Fraction(round(Fraction(value), int(places))))


def _nth(k: Any, *items: Any) -> Any:
    """`nth(k, a, b, c)`: the item at position k, counting from 0."""
    if type(k) is not int or not 0 <= k < len(items):
        raise EvalError(f"nth(): position {show(k)} is not in 0..{len(items) - 1}")
    return items[k]


def _position(value: Any, *items: Any) -> int:
    """`position(x, a, b, c)`: where x first occurs among the items, counting from 0."""
    for k, item in enumerate(items):
        if (type(item) is str) == (type(value) is str) and item == value:
            return k
    raise EvalError(f"position(): {show(value)} is not among the items")


def _text(value: Any) -> str:
    if type(value) is str:
        raise EvalError("text() takes a number")
    return show(value)


def _number_only(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        if any(type(v) is str for v in values):
            raise EvalError("text where a number is needed")
        return function(*values)
    return call


_ARITH = {"+": _add, "-": _number_only(lambda a, b: exact(a - b)), "*": _number_only(lambda a, b: exact(a * b)),
          "**": _number_only(lambda a, b: exact(power(a, b, EvalError, EvalError))),
          "/": _number_only(lambda a, b: _divide("/", a, b)), "//": _number_only(lambda a, b: _divide("//", a, b)),
          "%": _number_only(lambda a, b: _divide("%", a, b))}
_CMP = {"<": _number_only(lambda a, b: a < b), "<=": _number_only(lambda a, b: a <= b),
        ">": _number_only(lambda a, b: a > b), ">=": _number_only(lambda a, b: a >= b),
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
_CALL = {"min": _number_only(lambda *v: min(v)), "max": _number_only(lambda *v: max(v)),
         "abs": _number_only(abs), "round": _number_only(_round), "floor": _number_only(math.floor),
         "ceil": _number_only(math.ceil), "text": _text, "nth": _nth, "position": _position}


def apply(op: str, values: list[Any]) -> Any:
    """One operation (an `Expr`'s op on evaluated operands): shared by evaluation and recomputation."""
    if op in _RATIONAL and len(values) == 2:
        x, y = _parts(values[0]), _parts(values[1])
        if x is not None and y is not None:
            return _RATIONAL[op][0](*x, *y)
    result = _ARITH[op](*values) if op in _ARITH else _CALL[op](*values)
    return result if type(result) is str else _bounded(result)


def evaluate(expr: Expr, env: dict[str, Any]) -> Any:
    """The exact value (a number, a text, or a bool for a condition) of `expr` with names bound by `env`."""
    return expr.fn(env)


def _compile(expr: Expr) -> Callable[[dict[str, Any]], Any]:
    """The closure that evaluates `expr`. Integer operands, the common case, take an inline path;
    anything else goes through `apply`, the one definition of every operation."""
    kind = expr.kind
    if kind in ("num", "str"):
        value = expr.value
        return lambda env: value
    if kind == "name":
        return itemgetter(expr.name)
    args = [a.fn for a in expr.args]
    if kind == "bin":
        return _binary(expr.op, *args)
    if kind == "neg":
        inner = args[0]
        return lambda env: _negate(inner(env))
    if kind == "call":
        op = expr.op
        return lambda env: apply(op, [f(env) for f in args])
    if kind == "not":
        inner = args[0]
        return lambda env: not inner(env)
    if kind == "bool":
        if expr.op == "and":
            return lambda env: all(f(env) for f in args)
        return lambda env: any(f(env) for f in args)
    if kind == "if":
        body, test, orelse = args
        return lambda env: body(env) if test(env) else orelse(env)
    tests = [_CMP[op] for op in expr.op.split(",")]  # cmp: a chain `a < b <= c`, every operand evaluated
    if len(tests) == 1:
        left, right = args
        test = tests[0]
        return lambda env: test(left(env), right(env))

    def chain(env: dict[str, Any]) -> bool:
        values = [f(env) for f in args]
        return all(t(values[k], values[k + 1]) for k, t in enumerate(tests))
    return chain


def _negate(value: Any) -> Any:
    if type(value) is str:
        raise EvalError("a text cannot be negated")
    return -value


def _fraction(numerator: int, denominator: int) -> Fraction:
    """A Fraction from a numerator and a positive denominator already in lowest terms, without the
    argument checks and gcd of `Fraction(n, d)` (most of the cost of exact arithmetic here). It
    fills the two slots CPython's `Fraction` has always had, as the arithmetic below reads them."""
    made = object.__new__(Fraction)
    made._numerator, made._denominator = numerator, denominator
    return made


def _rational(numerator: int, denominator: int) -> int | Fraction:
    """numerator / denominator (denominator != 0) in lowest terms: an int when integral."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    common = gcd(numerator, denominator)
    if common != 1:
        numerator //= common
        denominator //= common
    if -_LIMIT < numerator < _LIMIT and denominator < _LIMIT:
        return numerator if denominator == 1 else _fraction(numerator, denominator)
    raise EvalError(f"a number larger than {MAX_BITS} bits")


def _binary(op: str, left: Callable, right: Callable) -> Callable[[dict[str, Any]], Any]:
    """`+ - * /` on numbers as integer arithmetic on numerators and denominators, written out (these
    closures run for every draw); any other operator, and text, through `apply`."""
    if op not in _RATIONAL:
        return lambda env: apply(op, [left(env), right(env)])
    combine, on_ints = _RATIONAL[op]

    def arithmetic(env):
        a, b = left(env), right(env)
        ta, tb = type(a), type(b)
        if ta is int:
            if tb is int:
                if on_ints is not None:
                    r = on_ints(a, b)
                    if -_LIMIT < r < _LIMIT:
                        return r
                    raise EvalError(f"a number larger than {MAX_BITS} bits")
                if b:
                    return _rational(a, b)
                raise EvalError("division by zero")
            if tb is Fraction:
                return combine(a, 1, b._numerator, b._denominator)
        elif ta is Fraction:
            if tb is int:
                return combine(a._numerator, a._denominator, b, 1)
            if tb is Fraction:
                return combine(a._numerator, a._denominator, b._numerator, b._denominator)
        return apply(op, [a, b])
    return arithmetic


def _parts(value: Any) -> tuple[int, int] | None:
    kind = type(value)
    if kind is int:
        return value, 1
    return (value._numerator, value._denominator) if kind is Fraction else None


def same(a: Any, b: Any) -> bool:
    """`a == b` for two values of the language, without `Fraction.__eq__`'s generic dispatch: every
    value is exact (an integral number is an `int`), so values of different types differ."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is Fraction:
        return a._numerator == b._numerator and a._denominator == b._denominator
    return a == b


def _quotient(a: int, b: int, c: int, d: int) -> int | Fraction:
    if c == 0:
        raise EvalError("division by zero")
    return _rational(a * d, b * c)


# op -> (on two numbers as numerator, denominator pairs; on two ints, None when it is not closed)
_RATIONAL = {
    "+": (lambda a, b, c, d: _rational(a * d + b * c, b * d), operator.add),
    "-": (lambda a, b, c, d: _rational(a * d - b * c, b * d), operator.sub),
    "*": (lambda a, b, c, d: _rational(a * c, b * d), operator.mul),
    "/": (_quotient, None),
}


def show(value: Any) -> str:
    """A value as a reader sees it: `35`, `2.5`, `7/3` (a decimal only when it terminates briefly);
    a text as itself; a condition as true or false."""
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    return _show_fraction(value)


@lru_cache(maxsize=1 << 14)
def _show_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    for places in range(1, 7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            text = f"{abs(scaled.numerator):0{places + 1}d}"
            return f"{'-' if value < 0 else ''}{text[:-places]}.{text[-places:]}"
    return format_fraction(value)


def render(expr: Expr, leaf: Any, pretty: bool = True, outer: int = 0) -> str:
    """`expr` as text, with `leaf(expr)` giving the text of each name, number and text literal: the
    same source with values substituted (`5 × 7`), or with names (`count * price`). Brackets only
    where needed; `pretty` writes `×` for `*` (CoT wording), else the source syntax (graph attrs,
    programs)."""
    kind = expr.kind
    if kind in ("num", "str", "name"):
        return leaf(expr)
    if kind == "call":
        return f"{expr.op}({', '.join(render(a, leaf, pretty) for a in expr.args)})"
    if kind == "bin":
        level = PRECEDENCE[expr.op]
        left = render(expr.args[0], leaf, pretty, level + (expr.op == "**"))
        right = render(expr.args[1], leaf, pretty, level + (expr.op != "**"))
        text = f"{left} {'×' if pretty and expr.op == '*' else expr.op} {right}"
    elif kind == "neg":
        level = PRECEDENCE["neg"]
        text = f"-{render(expr.args[0], leaf, pretty, level + 1)}"
    elif kind == "not":
        level = PRECEDENCE["not"]
        text = f"not {render(expr.args[0], leaf, pretty, level)}"
    elif kind == "bool":
        level = PRECEDENCE[expr.op]
        text = f" {expr.op} ".join(render(a, leaf, pretty, level + 1) for a in expr.args)
    elif kind == "if":
        level = PRECEDENCE["if"]
        body, test, orelse = expr.args
        text = (f"{render(body, leaf, pretty, level + 1)} if {render(test, leaf, pretty, level + 1)} "
                f"else {render(orelse, leaf, pretty, level)}")
    else:
        level = PRECEDENCE["cmp"]
        parts = [render(expr.args[0], leaf, pretty, level + 1)]
        for op, arg in zip(expr.op.split(","), expr.args[1:]):
            parts.append(f"{op} {render(arg, leaf, pretty, level + 1)}")
        text = " ".join(parts)
    return f"({text})" if level < outer else text


def substitute(expr: Expr, mapping: dict[str, Expr]) -> Expr:
    """`expr` with the names in `mapping` replaced by their expressions (a coarse step inlines the
    steps of its group: `paid - count * price`)."""
    if expr.kind == "name":
        return mapping.get(expr.name, expr)
    if not expr.args:
        return expr
    return Expr(expr.kind, expr.op, tuple(substitute(a, mapping) for a in expr.args), expr.value, expr.name)
