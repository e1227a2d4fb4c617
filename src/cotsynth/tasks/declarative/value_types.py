"""The types of the expression language: every expression of a family file is a number, a text or
(in conditions) true/false, checked when the file is loaded so that a mistake is a key to fix, not
a value that fails in the middle of a run."""

from __future__ import annotations

from cotsynth.tasks.declarative.expr import Expr, ExprError, render

NUMBER, TEXT, BOOL = "number", "text", "condition"


def infer(expr: Expr, types: dict[str, str]) -> str:
    """The type of `expr` (NUMBER, TEXT or BOOL) given the types of the names it reads, or an
    ExprError saying which operand does not fit: text joins with `+` and compares with `==`/`!=`,
    everything else is arithmetic on numbers."""
    kind = expr.kind
    if kind == "num":
        return NUMBER
    if kind == "str":
        return TEXT
    if kind == "name":
        return types[expr.name]
    found = [infer(a, types) for a in expr.args]
    if kind == "bin":
        if expr.op == "+" and found == [TEXT, TEXT]:
            return TEXT
        return _numbers(expr, found)
    if kind in ("neg", "call") and expr.op in ("-", "min", "max", "abs", "round", "floor", "ceil"):
        return _numbers(expr, found)
    if kind == "call" and expr.op == "text":
        _numbers(expr, found)
        return TEXT
    if kind == "call":  # nth(k, items...), position(x, items...)
        if expr.op == "nth":
            _numbers(expr, found[:1])
        items = found[1:] if expr.op == "nth" else found
        _same(expr.op, expr.args[-len(items):], items)
        return items[0] if expr.op == "nth" else NUMBER
    if kind == "cmp":
        if any(op not in ("==", "!=") for op in expr.op.split(",")):
            _numbers(expr, found)
        _same("a comparison", expr.args, found)
        return BOOL
    if kind == "if":
        if found[1] != BOOL:
            raise ExprError("the condition of `a if condition else b` must be a comparison")
        _same("`a if condition else b`", (expr.args[0], expr.args[2]), [found[0], found[2]])
        return found[0]
    for arg, found_type in zip(expr.args, found):  # and, or, not: conditions (or numbers, as in Python)
        if found_type == TEXT:
            raise ExprError(f"{_who(arg)} is text, not a condition")
    return BOOL


def _numbers(expr: Expr, found: list[str]) -> str:
    for arg, found_type in zip(expr.args, found):
        if found_type == TEXT:
            raise ExprError(f"{_who(arg)} is text, not a number" + (
                " (only + joins two texts; text(x) writes a number as text)" if expr.op == "+" else ""))
        if found_type == BOOL:
            raise ExprError(f"{_who(arg)} is a condition, not a number")
    return NUMBER


def _same(what: str, args: tuple[Expr, ...], found: list[str]) -> None:
    if BOOL in found:
        raise ExprError(f"{what} cannot take a condition as a value")
    if len(set(found)) > 1:
        mixed = next(a for a, t in zip(args, found) if t != found[0])
        raise ExprError(f"{what} mixes text and numbers ({_who(mixed)} is a {found[args.index(mixed)]})")


def _who(expr: Expr) -> str:
    return repr(expr.name) if expr.kind == "name" else repr(render(expr, _source, pretty=False))


def _source(expr: Expr) -> str:
    return expr.name if expr.kind == "name" else repr(expr.value) if expr.kind == "str" else str(expr.value)
