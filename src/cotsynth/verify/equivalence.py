"""Answer equivalence, tiered: normalized string → exact rational → structure → algebra → symbolic worker.

Each tier either decides (match / mismatch) or hands the pair on; only the symbolic tier costs more
than microseconds to milliseconds, and it runs in a killable worker process (`worker_pool.py`).
Untrusted text is never executed: numbers go through the whitelisted `Fraction` evaluator, plain
algebra through the whitelisted, work-bounded exact evaluator of `algebra.py` (its deferred trees to
sympy constructors in the worker), everything else through math-verify's LaTeX parser inside the
worker, after a screen for code-like text. Verdicts are kept in a bounded LRU (`verdict_cache`).
See docs/verification.md for the answer types and what each tier accepts.
"""

from __future__ import annotations

import math
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from cotsynth.verify import algebra
from cotsynth.core.arithmetic import UnsafeExpression, format_fraction
from cotsynth.verify.clock import compare_clocks
from cotsynth.verify.extract import sentence_answer
from cotsynth.verify.normalize import (
    bounds_problem, canonical_text, clean_math, compact, enclosure, split_top_level, strip_wrappers,
)
from cotsynth.verify.numeric import Numeric, numbers_equal, read_number

ANSWER_TYPES = {
    "auto": "infer from the gold answer",
    "integer": "exact number", "rational": "exact number", "number": "exact number", "decimal": "exact number",
    "float": "number within a relative tolerance (default 1e-6)",
    "boolean": "yes/no/true/false",
    "string": "text compared ignoring case, spacing and surrounding quotes/punctuation",
    "text": "the same as `string`",
    "choice": "a multiple-choice letter (`B`, `(B)`, `B)` all read as B)",
    "expression": "symbolic expression, equal after simplification",
    "equation": "equation or assignment (`x = 3` matches `3`)",
    "tuple": "ordered elements", "list": "ordered elements",
    "set": "unordered elements", "unordered_list": "unordered elements",
    "interval": "interval with its open/closed ends (an inequality in x also matches)",
}
_NUMERIC_TYPES = {"integer", "rational", "number", "decimal", "float"}
_ORDERED_TYPES = {"tuple": True, "list": True, "set": False, "unordered_list": False}
DEFAULT_FLOAT_TOLERANCE = 1e-6

_TRUE = {"yes", "true", "y", "t", "correct", "1"}
_FALSE = {"no", "false", "n", "f", "incorrect", "0"}
_BOOLEAN_WORDS = {"yes", "no", "true", "false"}
# Not math: Python dunders, quotes, backticks, statements. Text like this never reaches a parser.
_CODE_LIKE = re.compile(r"__|[\"'`;@#]|\b(?:import|lambda|os|sys|subprocess|open|getattr|globals)\b")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
_MATH_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "sqrt", "frac", "infty", "pi",
               "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "cdot", "times", "leq", "geq",
               "neq", "cup", "cap", "text", "mathrm", "dfrac", "tfrac", "left", "right", "circ"}
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
_CHOICE = re.compile(r"^\s*(?:option\s+)?\(?([A-Ja-j])\)?\s*[.:)]?\s*$", re.I)
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*([^=<>]+)$")
_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one comparison. `method` names the tier that decided."""

    match: bool
    status: str  # "match" | "mismatch" | "unverifiable"
    reason: str
    method: str  # "string" | "boolean" | "numeric" | "clock" | "structure" | "algebra" | "symbolic" | "bounds" | "screen" | "text"
    gold_normalized: str = ""
    pred_normalized: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"match": self.match, "status": self.status, "reason": self.reason, "method": self.method}


def _verdict(status: str, reason: str, method: str, gold: str = "", pred: str = "") -> Verdict:
    return Verdict(status == "match", status, reason, method, gold, pred)


def default_timeout() -> float:
    """Budget of one symbolic comparison: `COTSYNTH_VERIFY_TIMEOUT` seconds, default 1."""
    return float(os.environ.get("COTSYNTH_VERIFY_TIMEOUT", "1.0"))


def check_answer(gold: str, pred: str | None, answer_type: str | None = None, *,
                 tolerance: float | None = None, ordered: bool | None = None,
                 timeout_s: float | None = None) -> Verdict:
    """Whether `pred` states the same answer as `gold`, with the tier and the reason.

    Both sides are bare *answers* (what `extract_answer` returns), not responses: an answer holding a
    `\\boxed{}` that does not wrap all of it (`\\boxed{5} + 1`) is refused as unverifiable rather than
    read by the box rule. `answer_type` (one of `ANSWER_TYPES`; unknown or None means "auto") steers
    the comparison; `tolerance` (finite, >= 0) allows a relative numeric error; `ordered` overrides
    whether element order matters; `timeout_s` is the symbolic budget of the whole verdict (a list's
    elements share it).
    """
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or not math.isfinite(tolerance) or tolerance < 0):
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    if pred is None or not isinstance(pred, str):
        return _verdict("unverifiable", "no answer found", "bounds")
    if not isinstance(gold, str):
        return _verdict("unverifiable", "no gold answer", "bounds")
    key = (gold, pred, answer_type, tolerance, ordered)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    context = _Context(tolerance, ordered, timeout_s if timeout_s is not None else default_timeout())
    verdict = _check_answer(gold, pred, answer_type, context)
    if not context.budget_dependent:  # an over-budget or crashed symbolic step may decide otherwise next time
        _CACHE.put(key, verdict)
    return verdict


class VerdictCache:
    """A bounded, thread-safe LRU of verdicts keyed by (gold, pred, answer_type, tolerance, ordered).

    In RL many samples share a gold answer and repeat a prediction; a hit costs a dict lookup.
    Verdicts are immutable and depend only on the key, except a symbolic `unverifiable` (over budget,
    worker crash), which is never stored. Size: `COTSYNTH_VERIFY_CACHE` entries (default 4096; 0 off)
    and at most `max_bytes` of key and verdict text (default 64 MiB), so huge rejected answers cannot
    make 4,096 entries weigh gigabytes.
    """

    def __init__(self, size: int, max_bytes: int = 64 << 20):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple, tuple[Verdict, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Verdict | None:
        if self.size <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: tuple, verdict: Verdict) -> None:
        if self.size <= 0:
            return
        weight = _weight(key, verdict)
        if weight > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self.bytes += weight - (old[1] if old else 0)
            self._entries[key] = (verdict, weight)
            while len(self._entries) > self.size or self.bytes > self.max_bytes:
                self.bytes -= self._entries.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def _weight(key: tuple, verdict: Verdict) -> int:
    """Bytes an entry holds: its strings (what grows with the answers) plus a fixed overhead."""
    strings = [*key[:3], verdict.reason, verdict.gold_normalized, verdict.pred_normalized]
    return 512 + sum(sys.getsizeof(s) for s in strings if isinstance(s, str))


_CACHE = VerdictCache(int(os.environ.get("COTSYNTH_VERIFY_CACHE", "4096")))


def verdict_cache() -> VerdictCache:
    """The process-wide verdict cache (`clear()` it, or set `.size = 0` to switch it off)."""
    return _CACHE


def _check_answer(gold: str, pred: str, answer_type: str | None, context: _Context) -> Verdict:
    for who, text in (("gold", gold), ("prediction", pred)):
        problem = bounds_problem(text)
        if problem:
            return _verdict("unverifiable", f"{who} {problem}", "bounds")
    g, p = strip_wrappers(gold), strip_wrappers(pred)
    if not p:
        return _verdict("unverifiable", "empty prediction", "bounds", g, p)
    for who, text in (("gold", g), ("prediction", p)):
        if _BOX.search(text):
            return _verdict("unverifiable", f"{who} is a response, not an answer: a \\boxed{{}} inside it does "
                            "not wrap all of it (extract_answer first)", "bounds", g, p)
    kind = answer_type if answer_type in ANSWER_TYPES else "auto"
    if kind == "auto":
        kind = _infer_type(g)
    if kind == "float" and context.tolerance is None:
        context.tolerance = DEFAULT_FLOAT_TOLERANCE
    if kind == "boolean":
        return _compare_boolean(g, p)
    if kind in ("string", "text"):
        return _compare_text(g, p)
    if kind == "choice":
        return _compare_choice(g, p)
    p = _stated(p)
    if kind in _ORDERED_TYPES:
        return _compare_sequence(clean_math(g), clean_math(p), context,
                                 _ORDERED_TYPES[kind] if context.ordered is None else context.ordered)
    return _compare_math(clean_math(g), clean_math(p), context)


def answers_match(gold: str, pred: str | None, answer_type: str | None = None, **options: Any) -> bool:
    """True only when `pred` is proven to state the gold answer."""
    return check_answer(gold, pred, answer_type, **options).match


@dataclass
class _Context:
    """One verdict's settings, and its symbolic budget: `timeout_s` from the first symbolic step on,
    shared by every element of a list or set (six elements must not take six budgets)."""

    tolerance: float | None
    ordered: bool | None
    timeout_s: float
    deadline: float | None = None
    budget_dependent: bool = False

    def remaining(self) -> float:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout_s
        return self.deadline - time.monotonic()


def _infer_type(gold: str) -> str:
    lowered = gold.strip().lower()
    if lowered in _BOOLEAN_WORDS:
        return "boolean"
    words = [w for w in _WORD.findall(gold) if w.lower() not in _MATH_WORDS]
    if words and not re.search(r"[=^\\]", gold):
        return "string"
    return "auto"


def _prose(text: str) -> list[str]:
    return [w for w in _PROSE.findall(text) if w.lower() not in _MATH_WORDS]


def _stated(pred: str) -> str:
    """A math answer given as a sentence ("The answer is 42.", "Therefore x = 5.") reduced to what
    it states, when that is math (or a number with unit words); any other text, and anything
    code-like (`lambda: 1` is no sentence), is left as it is."""
    if not _prose(pred) or _CODE_LIKE.search(pred):
        return pred
    stated = sentence_answer(pred)
    if stated is None:
        return pred
    stated = strip_wrappers(stated)
    if not stated:
        return pred
    if _prose(stated):
        try:
            number = read_number(clean_math(stated))
        except UnsafeExpression:
            return pred
        if number is None or not number.unit:
            return pred
    return stated


def _compare_boolean(gold: str, pred: str) -> Verdict:
    g, p = canonical_text(gold), canonical_text(pred)
    gv = True if g in _TRUE else False if g in _FALSE else None
    pv = True if p in _TRUE else False if p in _FALSE else None
    if gv is None:
        return _verdict("unverifiable", "gold is not a yes/no answer", "boolean", g, p)
    if pv is None:
        return _verdict("unverifiable", "prediction is not a yes/no answer", "boolean", g, p)
    return _verdict("match" if gv == pv else "mismatch", f"gold {g}, prediction {p}", "boolean", g, p)


def _compare_text(gold: str, pred: str) -> Verdict:
    g, p = canonical_text(gold), canonical_text(pred)
    if g == p:
        return _verdict("match", "same text after case/spacing normalization", "text", g, p)
    return _verdict("mismatch", "different text", "text", g, p)


def _compare_choice(gold: str, pred: str) -> Verdict:
    g, p = _CHOICE.match(gold), _CHOICE.match(pred)
    if g is None:
        return _verdict("unverifiable", "gold is not a choice letter", "text", gold, pred)
    if p is None:
        return _verdict("unverifiable", "prediction is not a choice letter", "text", gold, pred)
    same = g.group(1).upper() == p.group(1).upper()
    return _verdict("match" if same else "mismatch", f"choice {g.group(1)}, prediction {p.group(1)}", "text", gold, pred)


def _compare_math(gold: str, pred: str, context: _Context) -> Verdict:
    if compact(gold) == compact(pred):
        return _verdict("match", "identical after normalization", "string", gold, pred)
    clocks = compare_clocks(gold, pred)
    if clocks is not None:
        return _verdict(*clocks, "clock", gold, pred)
    try:
        g_num, p_num = read_number(gold), read_number(pred)
    except UnsafeExpression as err:
        return _verdict("unverifiable", f"arithmetic refused: {err}", "numeric", gold, pred)
    if g_num is not None and p_num is None:
        p_num = _assigned_number(pred)
    if p_num is not None and g_num is None:
        g_num = _assigned_number(gold)
    if g_num is not None and p_num is not None:
        return _numeric_verdict(g_num, p_num, context, gold, pred)
    structured = _compare_structure(gold, pred, context)
    if structured is not None:
        return structured
    if compact(canonical_text(gold)) == compact(canonical_text(pred)) and _WORD.search(gold):
        return _verdict("match", "same text after case/spacing normalization", "text", gold, pred)
    return _symbolic(gold, pred, context)


def _assigned_number(text: str) -> Numeric | None:
    """The number in `x = 3`: an assignment states its value."""
    match = _ASSIGNMENT.match(text)
    if not match:
        return None
    try:
        return read_number(match.group(2).strip())
    except UnsafeExpression:
        return None


def _numeric_verdict(gold: Numeric, pred: Numeric, context: _Context, g: str, p: str) -> Verdict:
    gn, pn = format_fraction(gold.value), format_fraction(pred.value)
    if numbers_equal(gold, pred, context.tolerance):
        return _verdict("match", f"both equal {gn}", "numeric", gn, pn)
    return _verdict("mismatch", f"{pn} is not {gn}", "numeric", gn, pn)


def _compare_structure(gold: str, pred: str, context: _Context) -> Verdict | None:
    """Tuples, lists, sets, intervals and assignments compared part by part; None if not structured."""
    g_assign, p_assign = _ASSIGNMENT.match(gold), _ASSIGNMENT.match(pred)
    if g_assign and p_assign:
        if g_assign.group(1) != p_assign.group(1):
            return _verdict("mismatch", "assigns a different variable", "structure", gold, pred)
        return _compare_math(g_assign.group(2).strip(), p_assign.group(2).strip(), context)
    if g_assign and not re.search(r"[=<>]|\\[lg]eq", pred):
        return _compare_math(g_assign.group(2).strip(), pred, context)
    if p_assign and not re.search(r"[=<>]|\\[lg]eq", gold):
        return _compare_math(gold, p_assign.group(2).strip(), context)
    interval = _compare_interval(gold, pred)
    if interval is not None:
        return interval
    g_enc, p_enc = enclosure(gold), enclosure(pred)
    g_parts = split_top_level(g_enc[1]) if g_enc else split_top_level(gold)
    if len(g_parts) < 2 and not g_enc:
        return None
    if g_enc and p_enc:
        if (g_enc[0] == "\\{") != (p_enc[0] == "\\{"):
            return _verdict("mismatch", "a set against a sequence", "structure", gold, pred)
        if g_enc[0] != "\\{" and (g_enc[0], g_enc[2]) != (p_enc[0], p_enc[2]):
            return _verdict("mismatch", "different brackets (open/closed ends or kind)", "structure", gold, pred)
        ordered = g_enc[0] != "\\{" if context.ordered is None else context.ordered
        return _compare_elements(g_parts, split_top_level(p_enc[1]), ordered, context, gold, pred)
    if not g_enc and not p_enc and len(g_parts) > 1:
        ordered = bool(context.ordered)
        return _compare_elements(g_parts, split_top_level(pred), ordered, context, gold, pred)
    return None


_INFINITY = re.compile(r"^([+-]?)\\infty$")
_RELATION = re.compile(r"(<=|>=|\\leq|\\geq|\\lt|\\gt|<|>)")
_Bound = tuple  # (value: Fraction | None for infinite, closed: bool)


def _compare_interval(gold: str, pred: str) -> Verdict | None:
    """An interval with numeric ends against an inequality in one variable (`(-\\infty, 2)` vs
    `x < 2`), decided exactly; None when either side is not of that simple form."""
    g, p = _as_interval(gold), _as_interval(pred)
    if g is None or p is None or (enclosure(gold) is None) == (enclosure(pred) is None):
        return None
    if g == p:
        return _verdict("match", "the same interval", "structure", gold, pred)
    return _verdict("mismatch", "a different interval", "structure", gold, pred)


def _as_interval(text: str) -> tuple[_Bound, _Bound] | None:
    enclosed = enclosure(text)
    if enclosed:
        opening, inside, closing = enclosed
        parts = split_top_level(inside)
        if opening == "\\{" or len(parts) != 2:
            return None
        low, high = _endpoint(parts[0]), _endpoint(parts[1])
        if low is _NOT_A_NUMBER or high is _NOT_A_NUMBER:
            return None
        if (low is None and opening == "[") or (high is None and closing == "]"):
            return None
        if low is not None and high is not None and low > high:
            return None
        return (low, opening == "["), (high, closing == "]")
    pieces = _RELATION.split(text)
    if len(pieces) not in (3, 5):
        return None
    terms, relations = [piece.strip() for piece in pieces[0::2]], pieces[1::2]
    upward = {_relation_direction(relation) for relation in relations}
    if len(upward) != 1:
        return None
    if next(iter(upward)) is False:  # `a > x > b`, `x > a`: read right to left
        terms, relations = terms[::-1], relations[::-1]
    closed = [relation in ("<=", ">=", "\\leq", "\\geq") for relation in relations]
    variables = [index for index, term in enumerate(terms) if re.fullmatch(r"[A-Za-z]", term)]
    if len(variables) != 1:
        return None
    at = variables[0]
    if len(terms) == 3 and at != 1:
        return None
    low, high = (None, False), (None, False)
    if at > 0:
        value = _endpoint(terms[at - 1])
        if value is None or value is _NOT_A_NUMBER:
            return None
        low = (value, closed[at - 1])
    if at < len(terms) - 1:
        value = _endpoint(terms[at + 1])
        if value is None or value is _NOT_A_NUMBER:
            return None
        high = (value, closed[at])
    return low, high


_NOT_A_NUMBER = object()


def _relation_direction(relation: str) -> bool:
    return relation in ("<", "<=", "\\leq", "\\lt")


def _endpoint(text: str) -> Any:
    """A finite endpoint as a Fraction, None for an infinite one, `_NOT_A_NUMBER` otherwise."""
    if _INFINITY.match(text.strip()):
        return None
    try:
        number = read_number(text)
    except UnsafeExpression:
        return _NOT_A_NUMBER
    if number is None or number.percent or number.unit:
        return _NOT_A_NUMBER
    return number.value


def _compare_sequence(gold: str, pred: str, context: _Context, ordered: bool) -> Verdict:
    g_enc, p_enc = enclosure(gold), enclosure(pred)
    g_parts = split_top_level(g_enc[1] if g_enc else gold)
    p_parts = split_top_level(p_enc[1] if p_enc else pred)
    return _compare_elements(g_parts, p_parts, ordered, context, gold, pred)


def _compare_elements(g_parts: list[str], p_parts: list[str], ordered: bool, context: _Context,
                      gold: str, pred: str) -> Verdict:
    if len(g_parts) != len(p_parts):
        return _verdict("mismatch", f"{len(p_parts)} elements instead of {len(g_parts)}", "structure", gold, pred)
    if ordered:
        for index, (g, p) in enumerate(zip(g_parts, p_parts)):
            verdict = _compare_math(g, p, context)
            if not verdict.match:
                return _verdict(verdict.status, f"element {index + 1}: {verdict.reason}", "structure", gold, pred)
        return _verdict("match", f"all {len(g_parts)} elements match in order", "structure", gold, pred)
    unused = list(p_parts)
    undecided = ""
    for g in g_parts:
        for index, p in enumerate(unused):
            verdict = _compare_math(g, p, context)
            if verdict.match:
                del unused[index]
                break
            if verdict.status == "unverifiable":
                undecided = verdict.reason
        else:
            if undecided:
                return _verdict("unverifiable", f"element {g!r}: {undecided}", "structure", gold, pred)
            return _verdict("mismatch", f"no element of the prediction matches {g!r}", "structure", gold, pred)
    return _verdict("match", f"all {len(g_parts)} elements match in some order", "structure", gold, pred)


def _symbolic(gold: str, pred: str, context: _Context) -> Verdict:
    for who, text in (("gold", gold), ("prediction", pred)):
        if _CODE_LIKE.search(text):
            return _verdict("unverifiable", f"{who} looks like code, not math", "screen", gold, pred)
    if "$" in gold or "$" in pred:
        return _verdict("unverifiable", "stray `$` inside the answer", "screen", gold, pred)
    trees = None
    try:
        status, reason, trees = algebra.compare(gold, pred)
    except algebra.Decline:
        status = "decline"
    if status in ("match", "mismatch", "unverifiable"):
        return _verdict(status, reason, "algebra", gold, pred)
    from cotsynth.verify.worker_pool import shared_pool

    remaining = context.remaining()
    if remaining <= 0:
        context.budget_dependent = True
        return _verdict("unverifiable", f"the verdict's {context.timeout_s:g} s symbolic budget is spent", "symbolic",
                        gold, pred)
    status, reason = shared_pool().compare(gold, pred, remaining, trees=trees)
    if status == "unverifiable":
        context.budget_dependent = True
    return _verdict(status, reason, "symbolic", gold, pred)
