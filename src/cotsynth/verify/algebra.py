"""The fast symbolic path: algebraic answers compared exactly, in-process, without a parser that runs code.

Covers expressions in one-letter variables with + - * / ^, implicit multiplication (`2x`, `2(x+1)`,
`x(x+1)`, `xy`; longer letter runs and two letters before `(` are declined), parentheses, decimals, `pi`, `e`, square roots and `sqrt`/`sin`/`cos`/`tan`/`exp`/`ln`
calls, single equations (`y = 2x+1`), and a small LaTeX subset that maps one-to-one onto that grammar
(`\\frac{a}{b}`, `\\frac12`, `\\sqrt{a}`, `\\sqrt 2`, `\\pi`, `\\cdot`, `\\times`, `\\div`, `^{...}`,
`{...}` grouping, `\\sin(...)`, ...). Anything else (`\\sin x`, `\\log`, subscripts, `i`, inequalities,
other commands) is *declined* and goes to math-verify in the worker processes, unchanged.

How a pair is read: a small tokenizer makes multiplication explicit (it never guesses: `1/2x` and
`1 2` are declined), `ast.parse` builds a syntax tree (nothing is compiled or run), and a whitelisted
walk turns it into a plain tuple tree, under the caps of `core/arithmetic.py` (length, nodes, depth).

How a pair is decided: the tree is evaluated as an exact rational function over Q(sqrt(r) ...) in the
variables, with `pi` and `e` as transcendental symbols: a sparse polynomial is a dict from
(monomial, square-free radicand) to a `Fraction`, and `a/b = c/d` iff `a*d - c*b` is the zero
polynomial. The square roots of distinct square-free integers are linearly independent over Q, and
`pi` (or `e`) is transcendental, so this representation is canonical: a zero difference *proves* a
match and a non-zero one proves a mismatch (with both `pi` and `e` present no such theorem is known,
so that case is deferred). Every operation is charged to a work budget (terms multiplied), and terms,
degree, coefficient size and exponents are capped, so the cost is bounded by construction: this is
the "proven cheap" form that runs in-process. Whatever leaves that form (a function of a variable,
`x^{1/3}`, a degree past the caps) is `Defer`red with its tree: the worker process builds sympy
objects from the tree directly and decides with expand/simplify under the hard-kill budget.
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction
from math import gcd, isqrt
from typing import Any

from cotsynth.core.polynomials import poly_add
from cotsynth.core.arithmetic import MAX_BITS, MAX_CHARS, MAX_DEPTH, MAX_EXPONENT, MAX_NODES, UnsafeExpression

MAX_TOKENS = 400
MAX_TERMS = 300  # terms of one polynomial
MAX_DEGREE = 256  # total degree of one monomial
MAX_WORK = 60_000  # term products per comparison: bounds the in-process cost (a few tens of ms at worst)
MAX_RADICAND = 10**12  # square-free splitting by trial division up to the cube root
MAX_DEFERRED_EXPONENT = 1_000  # constant exponents above this are refused, between 64 and this deferred

FUNCTIONS = {"sqrt", "sin", "cos", "tan", "exp", "ln"}
_LATEX_FUNCTIONS = {"\\sin": "sin", "\\cos": "cos", "\\tan": "tan", "\\exp": "exp", "\\ln": "ln"}
_LATEX_OPERATORS = {"\\cdot": "*", "\\times": "*", "\\div": "/"}
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z]+)|(\\[A-Za-z]+|\\.)|(\*\*|[-+*/^(){}]))")
_ALLOWED = re.compile(r"^[0-9A-Za-z\s+\-*/^(){}.\\=]*$")


class Decline(Exception):
    """Not in the fast path's grammar: the pair goes to math-verify unchanged."""


class Defer(Exception):
    """In the grammar but not decidable in-process: the worker decides from the tree with sympy."""


Tree = tuple  # ("n", num, den) | ("s", name) | ("f", name, arg) | (op, a, b) | ("neg", a)


# ---------------------------------------------------------------------------------------------- reading

def parse(text: str) -> Tree:
    """The tuple tree of one expression. Raises `Decline` outside the grammar and `UnsafeExpression`
    for text in the grammar that breaks a cap."""
    if len(text) > MAX_CHARS:
        raise UnsafeExpression(f"expression longer than {MAX_CHARS} characters")
    if not _ALLOWED.match(text) or "=" in text:
        raise Decline("characters outside the algebra grammar")
    source = _python_source(_latex_to_plain(_lex(text)))
    try:
        tree = ast.parse(source, mode="eval")  # safe: builds a syntax tree only; nothing is compiled or run
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise Decline("not a well-formed expression") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise UnsafeExpression(f"more than {MAX_NODES} syntax nodes")
    return _tree(tree.body, 0)


def _lex(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise Decline("unexpected character")
        position = match.end()
        number, word, command, operator = match.groups()
        if number is not None:
            tokens.append(("num", number))
        elif word is not None:
            tokens.append(("word", word))
        elif command is not None:
            tokens.append(("cmd", command))
        elif operator is not None:
            tokens.append(("op", "^" if operator == "**" else operator))
        if len(tokens) > MAX_TOKENS:
            raise UnsafeExpression(f"more than {MAX_TOKENS} tokens")
    return tokens


def _latex_to_plain(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The LaTeX subset rewritten as the plain grammar: kinds num, sym, const, func, op, (, )."""
    out: list[tuple[str, str]] = []
    stack = list(reversed(tokens))
    while stack:
        kind, value = stack.pop()
        if kind == "num":
            out.append(("num", value))
        elif kind == "word":
            if value not in FUNCTIONS and len(value) > 1 and stack and stack[-1] == ("op", "("):
                raise Decline("an unknown function name")  # `lg(x)`, `tg(x)`: a call, not a product
            out.extend(_word(value))
        elif kind == "op" and value in "{(":
            out.append(("(", "("))
        elif kind == "op" and value in "})":
            out.append((")", ")"))
        elif kind == "op":
            out.append(("op", value))
        elif value in _LATEX_OPERATORS:
            out.append(("op", _LATEX_OPERATORS[value]))
        elif value == "\\pi":
            out.append(("const", "pi"))
        elif value in _LATEX_FUNCTIONS:
            out.append(("func", _LATEX_FUNCTIONS[value]))
        elif value == "\\frac":
            numerator, denominator = _argument(stack), _argument(stack)
            out += [("(", "("), *numerator, ("op", "/"), *denominator, (")", ")")]
        elif value == "\\sqrt":
            out += [("func", "sqrt"), *_argument(stack)]
        else:
            raise Decline("LaTeX command outside the fast path")
    return out


def _argument(stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One LaTeX macro argument, parenthesized: a `{...}` group, or a single digit or letter."""
    if not stack:
        raise Decline("missing macro argument")
    kind, value = stack.pop()
    if kind == "op" and value == "{":
        group, depth = [], 1
        while stack:
            token = stack.pop()
            if token == ("op", "{"):
                depth += 1
            elif token == ("op", "}"):
                depth -= 1
                if depth == 0:
                    return [("(", "("), *_latex_to_plain(group), (")", ")")]
            group.append(token)
        raise Decline("unbalanced braces")
    if kind in ("num", "word") and len(value) >= 1 and value[0] != ".":
        if len(value) > 1:
            stack.append((kind, value[1:]))
        head = [("num", value[0])] if kind == "num" else _word(value[0])
        return [("(", "("), *head, (")", ")")]
    raise Decline("unsupported macro argument")


def _word(word: str) -> list[tuple[str, str]]:
    if word in FUNCTIONS:
        return [("func", word)]
    if word in ("pi", "e"):
        return [("const", word)]
    if len(word) > 2 or any(char in "eiI" for char in word):  # `log`, `abs`, `xyz`: not guessed
        raise Decline("a word, not a product of variables")
    return [("sym", char) for char in word]


def _python_source(tokens: list[tuple[str, str]]) -> str:
    """Python expression syntax with every multiplication explicit; ambiguous juxtapositions declined."""
    pieces: list[str] = []
    after_division = [False]  # per bracket depth: inside a term that follows an explicit `/`
    previous = ""
    for kind, value in tokens:
        if previous == "func" and kind != "(":
            raise Decline("function applied without parentheses")
        if previous in ("num", "sym", "const", ")") and kind in ("num", "sym", "const", "func", "("):
            if previous == "num" and kind == "num":
                raise Decline("two numbers side by side")
            if after_division[-1]:
                raise Decline("implicit multiplication after `/` is ambiguous")
            pieces.append("*")
        if kind == "num":
            pieces.append(_number_source(value))
        elif kind in ("sym", "const", "func"):
            pieces.append(value)
        elif kind == "(":
            pieces.append("(")
            after_division.append(False)
        elif kind == ")":
            pieces.append(")")
            if len(after_division) == 1:
                raise Decline("unbalanced parentheses")
            after_division.pop()
        else:
            pieces.append("**" if value == "^" else value)
            if value == "/":
                after_division[-1] = True
            elif value in "+-*":
                after_division[-1] = False
        previous = kind
    if previous == "func":
        raise Decline("function without an argument")
    return "".join(pieces)


def _number_source(text: str) -> str:
    """An exact rational literal: `0.25` becomes `(25/100)` (a float would round)."""
    whole, _, decimals = text.partition(".")
    if not decimals:
        return str(int(whole or "0"))
    return f"({int(whole + decimals)}/{10 ** len(decimals)})"


def _tree(node: ast.AST, depth: int) -> Tree:
    if depth > MAX_DEPTH:
        raise UnsafeExpression(f"expression nested deeper than {MAX_DEPTH}")
    if isinstance(node, ast.Constant) and type(node.value) is int:
        if node.value.bit_length() > MAX_BITS:
            raise UnsafeExpression(f"number larger than {MAX_BITS} bits")
        return ("n", node.value, 1)
    if isinstance(node, ast.Name) and (node.id in ("pi", "e") or (len(node.id) == 1 and node.id.isalpha())):
        return ("s", node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _tree(node.operand, depth + 1)
        return ("neg", operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
        op = ops.get(type(node.op))
        if op is None:
            raise Decline("operator outside the grammar")
        return (op, _tree(node.left, depth + 1), _tree(node.right, depth + 1))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and len(node.args) == 1 and not node.keywords):
        return ("f", node.func.id, _tree(node.args[0], depth + 1))
    raise Decline(f"syntax outside the grammar: {type(node).__name__}")


def to_json(tree: Tree) -> list[Any]:
    """The tree as JSON lists (what crosses the pipe to a worker)."""
    return [tree[0], *[to_json(part) if isinstance(part, tuple) else part for part in tree[1:]]]


# ------------------------------------------------------------------------- exact rational functions

# A polynomial: {(monomial, radicand): coefficient}; a monomial is a sorted tuple of (symbol, exponent).
Poly = dict
_ONE_KEY: tuple = ((), 1)


class _Budget:
    def __init__(self) -> None:
        self.work = 0

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > MAX_WORK:
            raise Defer("more algebra than the in-process budget allows")


def _constant(value: Fraction) -> Poly:
    return {_ONE_KEY: value} if value else {}


def _check(poly: Poly) -> Poly:
    if len(poly) > MAX_TERMS:
        raise Defer(f"more than {MAX_TERMS} terms")
    for (monomial, _), coefficient in poly.items():
        if sum(exponent for _, exponent in monomial) > MAX_DEGREE:
            raise Defer(f"degree above {MAX_DEGREE}")
        if coefficient.numerator.bit_length() > MAX_BITS or coefficient.denominator.bit_length() > MAX_BITS:
            raise UnsafeExpression(f"number larger than {MAX_BITS} bits")
    return poly


def _add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    return _check(poly_add(a, b, sign))


def _mul(a: Poly, b: Poly, budget: _Budget) -> Poly:
    budget.charge(len(a) * len(b))
    out: Poly = {}
    for (mono_a, rad_a), coef_a in a.items():
        for (mono_b, rad_b), coef_b in b.items():
            common = gcd(rad_a, rad_b)
            radicand = (rad_a // common) * (rad_b // common)
            key = (_mono_mul(mono_a, mono_b), radicand)
            value = out.get(key, 0) + coef_a * coef_b * common
            if value:
                out[key] = value
            else:
                out.pop(key, None)
    return _check(out)


def _mono_mul(a: tuple, b: tuple) -> tuple:
    if not a:
        return b
    if not b:
        return a
    exponents = dict(a)
    for symbol, exponent in b:
        exponents[symbol] = exponents.get(symbol, 0) + exponent
    return tuple(sorted(exponents.items()))


def _power(base: Poly, exponent: int, budget: _Budget) -> Poly:
    result, square = _constant(Fraction(1)), base
    while exponent:
        if exponent & 1:
            result = _mul(result, square, budget)
        exponent >>= 1
        if exponent:
            square = _mul(square, square, budget)
    return result


def _rational_value(poly: Poly) -> Fraction | None:
    """The value of a constant polynomial with no radicals, else None."""
    if not poly:
        return Fraction(0)
    if len(poly) == 1 and _ONE_KEY in poly:
        return poly[_ONE_KEY]
    return None


class _RF:
    """An exact rational function num/den over Q(sqrt(r) ...)[symbols]."""

    __slots__ = ("num", "den")

    def __init__(self, num: Poly, den: Poly | None = None):
        self.num, self.den = num, den if den is not None else _constant(Fraction(1))
        if not self.den:
            raise UnsafeExpression("division by zero")
        scale = _rational_value(self.den)
        if scale is not None and scale != 1:  # keep a constant denominator folded in
            self.num = {key: value / scale for key, value in self.num.items()}
            self.den = _constant(Fraction(1))

    def constant(self) -> Fraction | None:
        value = _rational_value(self.num)
        return value if value is not None and _rational_value(self.den) == 1 else None


def _evaluate(tree: Tree, budget: _Budget) -> _RF:
    kind = tree[0]
    if kind == "n":
        return _RF(_constant(Fraction(tree[1], tree[2])))
    if kind == "s":
        return _RF({(((tree[1], 1),), 1): Fraction(1)})
    if kind == "neg":
        inner = _evaluate(tree[1], budget)
        return _RF({key: -value for key, value in inner.num.items()}, inner.den)
    if kind == "f":
        return _function(tree[1], _evaluate(tree[2], budget), budget)
    left = _evaluate(tree[1], budget)
    if kind == "^":
        return _raise(left, tree[2], budget)
    right = _evaluate(tree[2], budget)
    if kind in ("+", "-"):
        sign = 1 if kind == "+" else -1
        if left.den == right.den:
            return _RF(_add(left.num, right.num, sign), left.den)
        return _RF(_add(_mul(left.num, right.den, budget), _mul(right.num, left.den, budget), sign),
                   _mul(left.den, right.den, budget))
    if kind == "*":
        return _RF(_mul(left.num, right.num, budget), _mul(left.den, right.den, budget))
    if kind == "/":
        if not right.num:
            raise UnsafeExpression("division by zero")
        return _RF(_mul(left.num, right.den, budget), _mul(left.den, right.num, budget))
    raise Decline("unknown node")


def _raise(base: _RF, exponent_tree: Tree, budget: _Budget) -> _RF:
    exponent = _evaluate(exponent_tree, budget).constant()
    if exponent is None:
        raise Defer("a non-constant or irrational exponent")
    if abs(exponent) > MAX_DEFERRED_EXPONENT:
        raise UnsafeExpression(f"exponent larger than {MAX_DEFERRED_EXPONENT}")
    if exponent.denominator == 2:
        base = _square_root(base)
        exponent *= 2
    if exponent.denominator != 1:
        raise Defer("a fractional exponent")
    power = int(exponent)
    if abs(power) > MAX_EXPONENT:
        raise Defer(f"exponent larger than {MAX_EXPONENT}")
    if power < 0:
        if not base.num:
            raise UnsafeExpression("division by zero")
        base, power = _RF(base.den, base.num), -power
    return _RF(_power(base.num, power, budget), _power(base.den, power, budget))


def _function(name: str, argument: _RF, budget: _Budget) -> _RF:
    if name == "sqrt":
        return _square_root(argument)
    if name == "exp":
        value = argument.constant()
        if value is not None and value.denominator == 1 and abs(value) <= MAX_EXPONENT:
            return _raise(_RF({((("e", 1),), 1): Fraction(1)}), ("n", int(value), 1), budget)
    raise Defer(f"{name} of this argument")


def _square_root(argument: _RF) -> _RF:
    """sqrt of a non-negative rational constant as a radical; anything else is deferred."""
    value = argument.constant()
    if value is None:
        raise Defer("square root of a non-constant")
    if value < 0:
        raise Defer("square root of a negative number")
    product = value.numerator * value.denominator  # sqrt(p/q) = sqrt(p*q)/q
    if product > MAX_RADICAND:
        raise Defer("radicand too large to split in-process")
    outside, radicand = _split_square(product)
    coefficient = Fraction(outside, value.denominator)
    return _RF({((), radicand): coefficient} if coefficient else {})


def _split_square(n: int) -> tuple[int, int]:
    """(a, r) with n = a^2 * r and r square-free, for 0 <= n <= MAX_RADICAND.

    Trial division up to the cube root: what is left then has at most two prime factors, so it is
    1, a prime, a product of two distinct primes (square-free) or the square of a prime.
    """
    if n == 0:
        return 0, 1
    outside, radicand, rest, prime = 1, 1, n, 2
    while prime * prime * prime <= rest:
        if rest % prime == 0:
            count = 0
            while rest % prime == 0:
                rest //= prime
                count += 1
            outside *= prime ** (count // 2)
            radicand *= prime ** (count % 2)
        prime += 1 if prime == 2 else 2
    root = isqrt(rest)
    if root * root == rest:
        outside *= root
    else:
        radicand *= rest
    return outside, radicand


def _difference(a: _RF, b: _RF, budget: _Budget) -> Poly:
    return _add(_mul(a.num, b.den, budget), _mul(b.num, a.den, budget), -1)


def _symbols(poly: Poly) -> set[str]:
    return {symbol for (monomial, _) in poly for symbol, _ in monomial}


# ------------------------------------------------------------------------------------------ comparing

def compare(gold: str, pred: str) -> tuple[str, str, Any]:
    """(status, reason, trees) for a pair in the fast path's grammar.

    status `match`/`mismatch` is decided exactly in-process; `unverifiable` means a cap was broken;
    `defer` means the pair is in the grammar but needs sympy: `trees` is then the JSON trees of
    (gold, pred) for the worker. Raises `Decline` when either side is outside the grammar.
    """
    if gold.count("=") == 1 and pred.count("=") == 1:
        return _compare_equations(gold, pred)
    if "=" in gold or "=" in pred:
        raise Decline("equation against an expression")
    try:
        g_tree, p_tree = parse(gold), parse(pred)
    except UnsafeExpression as err:
        return "unverifiable", f"algebra refused: {err}", None
    try:
        budget = _Budget()
        difference = _difference(_evaluate(g_tree, budget), _evaluate(p_tree, budget), budget)
    except UnsafeExpression as err:
        return "unverifiable", f"algebra refused: {err}", None
    except Defer as why:
        return "defer", str(why), [to_json(g_tree), to_json(p_tree)]
    if not difference:
        return "match", "identical as exact rational functions", None
    if {"pi", "e"} <= _symbols(difference):
        return "defer", "pi and e together", [to_json(g_tree), to_json(p_tree)]
    return "mismatch", "different as exact rational functions", None


def _compare_equations(gold: str, pred: str) -> tuple[str, str, Any]:
    """`l = r` against `l' = r'`: a match when l - r is +-(l' - r'); anything else goes to math-verify."""
    try:
        sides = [parse(side) for text in (gold, pred) for side in text.split("=")]
        budget = _Budget()
        g_left, g_right, p_left, p_right = (_evaluate(tree, budget) for tree in sides)
        g_diff = _RF(_difference(g_left, g_right, budget), _mul(g_left.den, g_right.den, budget))
        p_diff = _RF(_difference(p_left, p_right, budget), _mul(p_left.den, p_right.den, budget))
        same = _difference(g_diff, p_diff, budget)
        if not same or not _add(_mul(g_diff.num, p_diff.den, budget), _mul(p_diff.num, g_diff.den, budget)):
            return "match", "equations with the same sides up to sign", None
    except UnsafeExpression as err:
        return "unverifiable", f"algebra refused: {err}", None
    except Defer:
        pass
    raise Decline("equations not identical up to sign")
