"""The expression language of a family file: a whitelisted `ast` walk, evaluated over `Fraction`.

A family file is untrusted text, so an expression is only ever parsed (`ast.parse(mode="eval")`
builds a syntax tree; nothing is compiled or run) and converted into this module's own small tree;
any syntax outside the whitelist is a `ExprError`. Evaluation is exact rational arithmetic with
bounded exponents and bit sizes; a value that cannot be computed (division by zero, a huge power)
is an `EvalError`, on which the sampler draws again.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

from cotsynth.core.arithmetic import MAX_BITS, MAX_DEPTH, format_fraction, power, syntax_tree

BINARY = {ast.Add: ("add", "+"), ast.Sub: ("sub", "-"), ast.Mult: ("mul", "*"), ast.Div: ("div", "/"),
          ast.FloorDiv: ("floordiv", "//"), ast.Mod: ("mod", "%"), ast.Pow: ("pow", "**")}
COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
FUNCTIONS = {"min": (2, None), "max": (2, None), "abs": (1, 1), "round": (1, 2), "floor": (1, 1), "ceil": (1, 1)}
PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6,
              "neg": 7, "**": 8, "atom": 9}


class ExprError(ValueError):
    """An expression outside the language (bad syntax, unknown function, too large); `str` says why."""


class EvalError(ArithmeticError):
    """A value that cannot be computed for this draw (division by zero, a huge power): draw again."""


@dataclass(frozen=True)
class Expr:
    """A node of a parsed expression. `kind` is num, name, bin, neg, not, call, cmp or bool."""

    kind: str
    op: str = ""  # the operator symbol, function name, comparison chain ("<,<=") or and/or
    args: tuple["Expr", ...] = ()
    value: Fraction | None = None  # num
    name: str = ""  # name

    def names(self) -> frozenset[str]:
        return self._names

    @cached_property
    def _names(self) -> frozenset[str]:
        """Every name the expression reads (cached: verification asks for it on every step)."""
        if self.kind == "name":
            return frozenset((self.name,))
        return frozenset().union(*(a.names() for a in self.args))

    @property
    def atom(self) -> str:
        """The top-level operation as a graph atom (`add`, `mul`, `min`, ...): the arith families' names."""
        if self.kind == "bin":
            return next(name for name, symbol in BINARY.values() if symbol == self.op)
        return {"num": "value", "name": "value", "neg": "neg", "call": self.op, "cmp": "compare",
                "not": "not", "bool": self.op}[self.kind]

    @property
    def operands(self) -> tuple["Expr", ...]:
        """What the top-level operation takes: its arguments, or itself for a bare name or number."""
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
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExprError("only the functions min, max, abs, round, floor, ceil can be called")
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


def exact(value: int | Fraction) -> int | Fraction:
    """Integral values as `int`: the same number, and arithmetic on it is many times cheaper."""
    return value.numerator if value.denominator == 1 else value


def number(text: str) -> int | Fraction:
    """A canonical value text (`35`, `-7/2`, `2.5`) as an exact number."""
    return int(text) if text.lstrip("-").isdigit() else exact(Fraction(text))


def _bounded(value: int | Fraction, error: type[Exception] = EvalError) -> int | Fraction:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise error(f"a number larger than {MAX_BITS} bits")
    return value


def _divide(kind: str, a: int | Fraction, b: int | Fraction) -> int | Fraction:
    if b == 0:
        raise EvalError("division by zero")
    if kind == "/":
        return exact(Fraction(a, b) if isinstance(a, int) and isinstance(b, int) else a / b)
    return exact(a // b) if kind == "//" else exact(a % b)


_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "**": lambda a, b: exact(power(a, b, EvalError, EvalError)),
          "/": lambda a, b: _divide("/", a, b), "//": lambda a, b: _divide("//", a, b),
          "%": lambda a, b: _divide("%", a, b)}
_CMP = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
_CALL = {"min": lambda *v: min(v), "max": lambda *v: max(v), "abs": lambda v: abs(v),
         "round": lambda v, places=0: _round(v, places),
         "floor": lambda v: math.floor(v), "ceil": lambda v: math.ceil(v)}


def _round(value: int | Fraction, places: int | Fraction) -> int | Fraction:
    """Python's `round` on exact values (half to even), so a `code` trace's program agrees."""
    if places.denominator != 1 or not 0 <= places <= 12:
        raise EvalError("round() places must be an integer in [0, 12]")
    return exact(Fraction(round(Fraction(value), int(places))))


_FAST = {"+": int.__add__, "-": int.__sub__, "*": int.__mul__}  # int with int stays int: the common case


def apply(op: str, values: list[Any]) -> Any:
    """One operation (an `Expr`'s op on evaluated operands): shared by evaluation and recomputation."""
    if op in _ARITH:
        return _bounded(_ARITH[op](*values))
    return _bounded(_CALL[op](*values))


def evaluate(expr: Expr, env: dict[str, Any]) -> Any:
    """The exact value (a Fraction, or a bool for a condition) of `expr` with names bound by `env`."""
    kind = expr.kind
    if kind == "num":
        return expr.value
    if kind == "name":
        return env[expr.name]
    if kind == "bin":
        a, b = evaluate(expr.args[0], env), evaluate(expr.args[1], env)
        if expr.op in _FAST and type(a) is int and type(b) is int:
            return _bounded(_FAST[expr.op](a, b))
        return apply(expr.op, [a, b])
    if kind == "neg":
        return -evaluate(expr.args[0], env)
    if kind == "call":
        return apply(expr.op, [evaluate(a, env) for a in expr.args])
    if kind == "not":
        return not evaluate(expr.args[0], env)
    if kind == "bool":
        results = (evaluate(a, env) for a in expr.args)
        return all(results) if expr.op == "and" else any(results)
    values = [evaluate(a, env) for a in expr.args]  # cmp: a chain `a < b <= c`
    return all(_CMP[op](values[k], values[k + 1]) for k, op in enumerate(expr.op.split(",")))


def show(value: int | Fraction) -> str:
    """A value as a reader sees it: `35`, `2.5`, `7/3` (a decimal only when it terminates briefly)."""
    if value.denominator == 1:
        return str(value.numerator)
    for places in range(1, 7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            text = f"{abs(scaled.numerator):0{places + 1}d}"
            return f"{'-' if value < 0 else ''}{text[:-places]}.{text[-places:]}"
    return format_fraction(value)


def render(expr: Expr, leaf: Any, pretty: bool = True, outer: int = 0) -> str:
    """`expr` as text, with `leaf(expr)` giving the text of each name and number: the same source with
    values substituted (`5 × 7`), or with names (`count * price`). Brackets only where needed;
    `pretty` writes `×` for `*` (CoT wording), else the source syntax (graph attrs, programs)."""
    kind = expr.kind
    if kind in ("num", "name"):
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
