"""The symbolic tier's worker process: math-verify on one pair at a time, strings in, verdicts out.

Run as a script (`python -I symbolic_worker.py MEMORY_MB`) by `worker_pool.py`; it imports nothing
from cotsynth so that it starts from any install. Protocol: one JSON object per line on stdin
(`{"gold": str, "pred": str}`, optionally `"trees": [gold_tree, pred_tree]` from the algebra fast
path), one JSON object per line on stdout (`{"status": ..., "reason": ...}`). With trees, sympy
objects are built from them by constructors (never by parsing a string) and compared by a numeric
reject, `expand` and `simplify`; without, math-verify parses the strings.
Parsed sympy objects never leave this process and are never printed, logged or `str()`-ed by this
code: a parsed power tower can hang when printed. The parent kills this process on timeout, which is
the only interruption that works inside sympy's C paths; the address-space rlimit stops memory bombs.
"""

from __future__ import annotations

import json
import logging
import re
import resource
import sys

_SPACES = re.compile(r"\s+")


def _limit_memory(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _load():
    """Import math-verify once per worker (this is the 0.4–0.9 s that a persistent worker saves)."""
    from latex2sympy2_extended.latex2sympy2 import NormalizationConfig, normalize_latex
    from math_verify import LatexExtractionConfig, parse, verify

    logging.disable(logging.CRITICAL)  # its messages may format parsed objects
    # Units off: "12 apples" must not silently become 12 (dropping content is the suffix hack).
    normalization = NormalizationConfig(
        basic_latex=True, units=False, malformed_operators=True, nits=True, boxed="all", equations=False)
    config = [LatexExtractionConfig(normalization_config=normalization)]
    return config, parse, verify, lambda text: normalize_latex(text, normalization)


def _parse_whole(text: str, config, parse, normalize):
    """The parsed object, or a reason: the whole answer must parse, not a prefix or a fragment.

    math-verify falls back to the last part of a chain `a = b = c` and to fragments of the match;
    either would let `<garbage> = 1` or `1+<garbage>` read as 1, so both are refused here.
    """
    if text.count("=") > 1 and "," not in text:
        return None, "is a chained equation"
    parsed = parse("$" + text + "$", extraction_config=config, fallback_mode="first_match",
                   extraction_mode="first_match", parsing_timeout=None)
    if len(parsed) != 2 or isinstance(parsed[0], str):
        return None, "not parseable as LaTeX math"
    extracted = parsed[1]
    if not isinstance(extracted, str) or _SPACES.sub("", extracted) != _SPACES.sub("", normalize(text)):
        return None, "only part of the answer parses"
    return parsed[0], ""


def compare(gold: str, pred: str, config, parse, verify, normalize) -> dict[str, str]:
    gold_obj, why = _parse_whole(gold, config, parse, normalize)
    if gold_obj is None:
        return {"status": "unverifiable", "reason": f"gold {why}"}
    pred_obj, why = _parse_whole(pred, config, parse, normalize)
    if pred_obj is None:
        return {"status": "unverifiable", "reason": f"prediction {why}"}
    equal = verify([gold_obj], [pred_obj], allow_set_relation_comp=True, timeout_seconds=None)
    if equal:
        return {"status": "match", "reason": "symbolically equivalent"}
    return {"status": "mismatch", "reason": "not symbolically equivalent"}


_TREE_FUNCTIONS = ("sqrt", "sin", "cos", "tan", "exp", "ln")
MAX_TREE_DEPTH = 80
SAMPLE_POINTS = 3


def _build(node, sp, depth=0):
    """A sympy object from a tree sent by the parent (`cotsynth.verify.algebra.to_json`), through
    sympy's constructors only: no string is ever parsed here. The parent has already bounded the
    tree (nodes, depth, number sizes, constant exponents); the checks repeat the whitelist."""
    if depth > MAX_TREE_DEPTH or not isinstance(node, list) or not node:
        raise ValueError("malformed tree")
    kind = node[0]
    if kind == "n" and len(node) == 3 and all(type(part) is int for part in node[1:]) and node[2] != 0:
        return sp.Rational(node[1], node[2])
    if kind == "s" and len(node) == 2 and isinstance(node[1], str):
        name = node[1]
        if name == "pi":
            return sp.pi
        if name == "e":
            return sp.E
        if name == "i":  # the imaginary unit, as the parent's algebra reads it
            return sp.I
        if len(name) == 1 and name.isascii() and name.isalpha():
            return sp.Symbol(name)
        raise ValueError("bad symbol")
    if kind == "neg" and len(node) == 2:
        return sp.Mul(sp.Integer(-1), _build(node[1], sp, depth + 1))
    if kind == "f" and len(node) == 3 and node[1] in _TREE_FUNCTIONS:
        function = {"sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "exp": sp.exp,
                    "ln": sp.log}[node[1]]
        return function(_build(node[2], sp, depth + 1))
    if kind in ("+", "-", "*", "/", "^") and len(node) == 3:
        left, right = _build(node[1], sp, depth + 1), _build(node[2], sp, depth + 1)
        if kind == "+":
            return sp.Add(left, right)
        if kind == "-":
            return sp.Add(left, sp.Mul(sp.Integer(-1), right))
        if kind == "*":
            return sp.Mul(left, right)
        if kind == "/":
            return sp.Mul(left, sp.Pow(right, sp.Integer(-1)))
        return sp.Pow(left, right)
    raise ValueError("malformed tree")


def _differ_numerically(gold, pred, sp) -> bool:
    """True when the two differ at some sample point: a fast *reject* only (agreement proves nothing).

    Points are positive rationals (fixed seed, so verdicts are reproducible); a point where either
    side is undefined or not a number is skipped.
    """
    import random

    rng = random.Random(20240601)
    symbols = sorted(gold.free_symbols | pred.free_symbols, key=lambda symbol: symbol.name)
    for _ in range(SAMPLE_POINTS):
        point = {symbol: sp.Rational(rng.randint(1, 97), rng.randint(1, 13)) for symbol in symbols}
        try:
            left = complex(sp.N(gold.subs(point), 30))
            right = complex(sp.N(pred.subs(point), 30))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError, ArithmeticError):
            continue
        if any(value != value or abs(value) == float("inf") for value in (left, right)):
            continue
        if abs(left - right) > 1e-9 * max(1.0, abs(left), abs(right)):
            return True
    return False


def compare_trees(gold_tree, pred_tree, sp) -> dict[str, str]:
    """Equivalence of two algebra trees: numeric reject, then expand, then simplify; exact only."""
    gold, pred = _build(gold_tree, sp), _build(pred_tree, sp)
    if _differ_numerically(gold, pred, sp):
        return {"status": "mismatch", "reason": "different values at a sample point"}
    difference = sp.Add(gold, sp.Mul(sp.Integer(-1), pred))
    if difference == 0 or sp.expand(difference) == 0:
        return {"status": "match", "reason": "equal after expansion"}
    if sp.simplify(difference) == 0:
        return {"status": "match", "reason": "equal after simplification"}
    return {"status": "mismatch", "reason": "not symbolically equivalent"}


def _answer(request, tools, sp) -> dict[str, str]:
    trees = request.get("trees")
    if trees is not None:
        try:
            return compare_trees(trees[0], trees[1], sp)
        except (ValueError, TypeError, KeyError, IndexError):
            pass  # a tree the builder refuses: math-verify reads the strings instead
    return compare(request["gold"], request["pred"], *tools)


def main() -> None:
    _limit_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
    sys.setrecursionlimit(4000)
    tools = _load()
    import sympy as sp
    out = sys.stdout
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = _answer(request, tools, sp)
        except MemoryError:
            reply = {"status": "unverifiable", "reason": "symbolic tier ran out of memory"}
        except RecursionError:
            reply = {"status": "unverifiable", "reason": "expression nested too deeply for the symbolic tier"}
        except Exception as err:  # noqa: BLE001 - the message may embed a parsed object: keep the type only
            reply = {"status": "unverifiable", "reason": f"symbolic tier failed: {type(err).__name__}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
