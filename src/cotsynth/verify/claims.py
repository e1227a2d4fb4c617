"""Step labels without a step graph: every arithmetic or algebraic claim a step makes, checked exactly.

A dataset problem has no graph to compare a step with, but its steps still make claims that can be
checked on their own: arithmetic (`12 + 7 = 19`, checked by `step_labels` as for families) and
equations in variables once their values are stated (`x = 4`, then `3x + 2 = 14`: the variables are
substituted and both sides compared exactly by `algebra.compare`). Nothing is evaluated but through
those whitelisted, bounded readers. A step with a false claim is wrong, one whose claims all hold is
right, one without a checkable claim is unlabelled (None).
"""

from __future__ import annotations

import re
from fractions import Fraction

from cotsynth.core.graph import StepGraph
from cotsynth.verify import algebra
from cotsynth.core.arithmetic import UnsafeExpression, evaluate, format_fraction
from cotsynth.verify.step_labels import MAX_STEP_CHARS, StepLabels, label_steps

_EMPTY = StepGraph([], [], "")
_CLAUSES = re.compile(r"[,;:\n]|\.(?:\s|$)|\s(?:so|then|and|which|thus|gives|giving|hence)\s", re.I)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|[-+*/×÷·^()]|\s+|.")
_MATH = set("+-*/×÷·^()")
_SENTENCE_END = re.compile(r"(\d)\.(?=\s|$)")  # `= 8.` ends a sentence; the equation reader wants `= 8`


def label_claims(steps: list[str]) -> StepLabels:
    """Per step: False if a claim is false, True if it makes claims and all hold, else None."""
    arithmetic = label_steps(_EMPTY, [_SENTENCE_END.sub(r"\1", step) for step in steps])
    bound: dict[str, Fraction] = {}
    labels: list[bool | None] = []
    reasons: list[str] = []
    for step, label, reason in zip(steps, arithmetic.labels, arithmetic.reasons):
        if len(step) <= MAX_STEP_CHARS:
            checked, why = _substitutions(step, bound)
            if checked is False and label is not False:
                label, reason = False, why
            elif checked is True and label is None:
                label, reason = True, why
        labels.append(label)
        reasons.append(reason)
    first_wrong = next((i for i, label in enumerate(labels) if label is False), None)
    return StepLabels(labels, first_wrong, reasons)


def _substitutions(step: str, bound: dict[str, Fraction]) -> tuple[bool | None, str]:
    """Check the step's equations in already-stated variables; then record what it states (`x = 4`)."""
    verdict: tuple[bool | None, str] = (None, "no checkable claim")
    for clause in _CLAUSES.split(step):
        sides = clause.split("=")
        if len(sides) < 2:
            continue
        left = _math_run(sides[0], backwards=True)
        if re.fullmatch(r"\s*[A-Za-z]\s*", left):  # `x = 4` (or `x = 12/3 = 4`) states a value
            value = _number(_math_run(sides[-1], backwards=False))
            if value is not None:
                bound[left.strip()] = value
            continue
        right = _math_run(sides[1], backwards=False)
        if len(sides) != 2 or not _uses(left + right, bound):
            continue
        status = _compare(_substitute(left, bound), _substitute(right, bound))
        if status == "mismatch":
            return False, f"claim does not hold with {_bindings(left + right, bound)}: {left.strip()} = {right.strip()}"
        if status == "match":
            verdict = (True, f"claim holds with {_bindings(left + right, bound)}")
    return verdict


def _math_run(text: str, backwards: bool) -> str:
    """The run of math tokens (numbers, operators, one-letter names) next to an `=`."""
    tokens = _TOKEN.findall(text)
    run: list[str] = []
    for token in reversed(tokens) if backwards else tokens:
        if token.isspace() or token in _MATH or token[0].isdigit() or (token.isalpha() and len(token) == 1):
            run.append(token)
        else:
            break
    return "".join(reversed(run) if backwards else run)


def _uses(text: str, bound: dict[str, Fraction]) -> bool:
    names = set(re.findall(r"[A-Za-z]", text))
    return bool(names) and names <= set(bound)


def _substitute(text: str, bound: dict[str, Fraction]) -> str:
    return re.sub(r"[A-Za-z]", lambda m: f"({format_fraction(bound[m.group(0)])})", text)


def _bindings(text: str, bound: dict[str, Fraction]) -> str:
    names = sorted(set(re.findall(r"[A-Za-z]", text)))
    return ", ".join(f"{n} = {format_fraction(bound[n])}" for n in names)


def _number(text: str) -> Fraction | None:
    try:
        return evaluate(text) if text.strip() else None
    except UnsafeExpression:
        return None


def _compare(left: str, right: str) -> str:
    if not left.strip() or not right.strip():
        return "declined"
    try:
        return algebra.compare(left.strip(), right.strip())[0]
    except (algebra.Decline, UnsafeExpression):
        return "declined"
