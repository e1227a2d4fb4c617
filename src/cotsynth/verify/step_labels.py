"""Label the steps of a free-text CoT correct / incorrect / unverifiable against the step graph.

A step is checked three ways, strongest first: (1) every arithmetic equation it states (`12 + 7 = 19`)
must hold exactly; (2) if it reads as one of the graph's own statements (a node's or subgoal's text,
or its question followed by an answer) with a different value where the graph's value goes, the
claim is compared with that value; (3) otherwise, a step that mentions all the inputs of a node and
states a result is compared with that node's output. A step that claims nothing checkable is None.
These labels feed the `prm` view; `first_wrong` is where a process reward model should say "stop".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cotsynth.core.graph import StepGraph
from cotsynth.core.arithmetic import UnsafeExpression, check_equation, evaluate, parse_number
from cotsynth.verify.equivalence import check_answer
from cotsynth.verify.normalize import canonical_text

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?"
# not glued to a term before it: `-5x + 7 · (-3) = -26` holds as algebra, not as `7 · (-3) = -26`
_START = r"(?<![\w^.)])(?<![-+*/×÷·=]\s)(?<![-+*/×÷·=])"
_NUMBER_TOKEN = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w])")
# Bounded so that a number inside algebra (`x^2 · 8 = 8x^2`, `3x + 2 = 11`) is not read as arithmetic.
_EQUATION = re.compile(
    rf"(?<![\w^.]){_START}(?:\(?\s*{_NUMBER}\s*\)?\s*[-+*/×÷x·]\s*)+\(?\s*{_NUMBER}\s*\)?\s*=\s*{_NUMBER}(?![\w^(.]\w*)"
)
_ANSWER_LABEL = re.compile(r"^\s*(?:intermediate answer|answer|so|thus|therefore|that is|is)\s*[:,]?\s*", re.I)
_CLAUSE_END = re.compile(r"[,;\n]|\.(?:\s|$)|\s(?:and|so|then|which)\s")
MAX_STEP_CHARS = 4_000


@dataclass
class StepLabels:
    labels: list[bool | None]  # per step: True correct, False incorrect, None unverifiable
    first_wrong: int | None
    reasons: list[str] = field(default_factory=list)

    @property
    def all_correct(self) -> bool:
        return all(label is True for label in self.labels)


@dataclass(frozen=True)
class _Claim:
    """A value the graph holds, and the statement shapes that lead up to it."""

    value: str
    prefix: str  # the statement before the value, canonical
    suffix: str  # the statement after it
    question: str
    inputs: tuple[str, ...]


def label_steps(graph: StepGraph, steps: list[str]) -> StepLabels:
    """Per-step labels for a CoT of `graph`'s problem, and the index of the first wrong step."""
    claims = _claims(graph)
    labels, reasons = [], []
    for step in steps:
        label, reason = _label_step(step, claims)
        labels.append(label)
        reasons.append(reason)
    first_wrong = next((i for i, label in enumerate(labels) if label is False), None)
    return StepLabels(labels, first_wrong, reasons)


def _claims(graph: StepGraph) -> list[_Claim]:
    claims = []
    for node in graph.nodes:
        inputs = tuple(graph.resolve(i) for i in node.inputs)
        claims.append(_claim(node.output, node.text, node.question, inputs))
    for goal in graph.subgoals:
        inputs = tuple(graph.resolve(i) for nid in goal.node_ids for i in graph.node(nid).inputs
                       if not i.startswith("@") or i[1:] not in goal.node_ids)
        claims.append(_claim(goal.output, goal.text, goal.question, inputs))
    return claims


def _claim(value: str, text: str, question: str, inputs: tuple[str, ...]) -> _Claim:
    statement, stated_value = canonical_text(text), canonical_text(value)
    # A node whose value is empty (e.g. a rewrite that erases the string) has no value to locate.
    before, found, after = statement.rpartition(stated_value) if stated_value else ("", "", "")
    if not found:
        before, after = "", ""
    return _Claim(value, before, after, canonical_text(question), inputs)


def _label_step(step: str, claims: list[_Claim]) -> tuple[bool | None, str]:
    if len(step) > MAX_STEP_CHARS:
        return None, f"step longer than {MAX_STEP_CHARS} characters"
    equations = [m.group(0) for m in _EQUATION.finditer(step) if _is_arithmetic(m.group(0))]
    for equation in equations:
        holds, why = check_equation(equation.replace("x", "*"))
        if not holds:
            return False, f"arithmetic does not hold: {equation.strip()} ({why})"
    text = canonical_text(step)
    # Many graph statements share one shape (every "collect like terms" step, every hop of one
    # relation): a step is right when it agrees with any claim of its shape, wrong when it
    # matches shapes but agrees with none.
    found = _best([(c, v) for c in claims if (v := _templated_value(text, c)) is not None], "statement")
    if found is not None:
        return found
    answered = []
    for claim in claims:
        if claim.question and claim.question in text:
            rest = text.split(claim.question, 1)[1].lstrip("?.: ")
            stated = _CLAUSE_END.split(_ANSWER_LABEL.sub("", rest), 1)[0].strip()
            if stated:
                answered.append((claim, stated))
    found = _best(answered, "answer to its question")
    if found is not None:
        return found
    stated = _result_token(step, equations)
    if stated is not None:
        from_inputs = [(c, stated) for c in claims if c.inputs and all(_mentions(text, v) for v in c.inputs)]
        found = _best(from_inputs, "result from its inputs")
        if found is not None:
            return found
        if any(_same(claim.value, stated) for claim in claims):
            return True, f"states {stated}, a value of the solution"
    if equations:
        return True, "its arithmetic holds"
    return None, "no checkable claim"


def _best(candidates: list[tuple[_Claim, str]], how: str) -> tuple[bool | None, str] | None:
    """Right if the step agrees with any candidate claim, else wrong if one disagrees, else unknown."""
    verdicts = [_compare(claim, stated, how) for claim, stated in candidates]
    for wanted in (True, False, None):
        for label, reason in verdicts:
            if label is wanted:
                return label, reason
    return None


def _is_arithmetic(equation: str) -> bool:
    """Whether both sides are plain arithmetic (not algebra that happens to contain digits)."""
    try:
        for side in equation.replace("x", "*").split("="):
            evaluate(side)
    except UnsafeExpression:
        return False
    return True


def _templated_value(text: str, claim: _Claim) -> str | None:
    """The value a step puts where the graph's statement has its value, if it makes that statement."""
    if len(claim.prefix) + len(claim.suffix) < 4:
        return None
    start = text.rfind(claim.prefix) if claim.prefix else 0
    if start < 0:
        return None
    rest = text[start + len(claim.prefix):]
    if claim.suffix:
        end = rest.find(claim.suffix)
        if end < 0:
            return None
        rest = rest[:end]
    rest = rest.strip()
    closing = {"[": "]", "(": ")", "{": "}"}.get(rest[:1])
    if closing and closing in rest:  # a list or tuple value: its commas are not clause ends
        middle = rest[: rest.index(closing) + 1]
    else:
        middle = _CLAUSE_END.split(rest, 1)[0].strip()
    return middle if middle and len(middle) <= 200 else None


def _compare(claim: _Claim, stated: str, how: str) -> tuple[bool | None, str]:
    verdict = check_answer(claim.value, stated, "list" if claim.value.startswith("[") else None)
    if verdict.status == "unverifiable":
        return None, f"{how}: {verdict.reason}"
    if verdict.match:
        return True, f"{how}: {stated} matches the graph"
    return False, f"{how}: states {stated}, the graph has {claim.value}"


def _result_token(step: str, equations: list[str]) -> str | None:
    """What a step claims as its result: the right side of its last equation, else its last number."""
    if equations:
        return equations[-1].rsplit("=", 1)[1].strip()
    numbers = _NUMBER_TOKEN.findall(step)
    return numbers[-1] if numbers else None


def _mentions(text: str, value: str) -> bool:
    number = parse_number(value)
    if number is not None:
        return any(parse_number(token) == number for token in _NUMBER_TOKEN.findall(text))
    value = canonical_text(value)
    return bool(value) and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


def _same(gold: str, stated: str) -> bool:
    gold_number, stated_number = parse_number(gold), parse_number(stated)
    if gold_number is not None and stated_number is not None:
        return gold_number == stated_number
    return canonical_text(gold) == canonical_text(stated)
