"""Find the final answer in a free-text completion (a *response*; see docs/verification.md for which
functions take a response and which a bare answer).

Strategies, tried in order (the last occurrence wins within one): a caller's regex, `\\boxed{...}`,
"Final answer", "The answer is", "Answer:", GSM8K's "####", and the last non-empty line. The box rule
is the ecosystem's (math-verify, the verl and TRL math rewards): the last *top-level* box is the
answer and a box nested inside it is part of it (`\\boxed{\\boxed{5} + 1}` answers `\\boxed{5} + 1`);
text outside it is reasoning. A hedge is no answer: top-level boxes that disagree (`\\boxed{7} or
\\boxed{8}`) give None. Only plain string scanning: no regex here can backtrack badly on a long
completion.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cotsynth.verify.normalize import matching_close

STRATEGIES = ("boxed", "final_answer", "answer_is", "answer_colon", "hashes", "last_line")
_PHRASES = {
    "final_answer": re.compile(r"final answer(?: is)?\s*[:：]?\s*", re.I),
    "answer_is": re.compile(r"\bthe answer is\s*[:：]?\s*", re.I),
    "answer_colon": re.compile(r"\banswer\s*[:：]\s*", re.I),
    "hashes": re.compile(r"^####\s*", re.M),
}
_BOXES = ("\\boxed", "\\fbox")


def extract_answer(text: str | None, *, strategies: Sequence[str] = STRATEGIES,
                   pattern: str | re.Pattern[str] | None = None) -> str | None:
    """The final answer stated in `text`, or None.

    `strategies` picks and orders the built-in ones (see `STRATEGIES`); `pattern` is tried first,
    its group "answer" (or group 1, or the whole match) at its last match is the answer.
    """
    if text is not None and not isinstance(text, str):
        raise TypeError(f"extract_answer: text must be a str or None, got {type(text).__name__}")
    if not text:
        return None
    if pattern is not None:
        found = _by_pattern(text, re.compile(pattern) if isinstance(pattern, str) else pattern)
        if found:
            return found
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown extraction strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
        found = _boxed(text) if strategy == "boxed" else _last_line(text) if strategy == "last_line" \
            else _after_phrase(text, _PHRASES[strategy])
        if found is _HEDGE:
            return None
        if found:
            return found
    return None


def _by_pattern(text: str, pattern: re.Pattern[str]) -> str | None:
    matches = list(pattern.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    if "answer" in pattern.groupindex:
        return _tidy(last.group("answer") or "")
    return _tidy(last.group(1) if pattern.groups else last.group(0))


_HEDGE: Any = object()  # top-level boxes that disagree: the response states no single answer


def _boxed(text: str) -> Any:
    """The last top-level box's content; None without a box; `_HEDGE` when top-level boxes disagree."""
    found = top_level_boxes(text)
    if not found:
        return None
    stated = {_tidy(answer) for answer in found} - {None}  # an empty box states nothing
    return _tidy(found[-1]) if len(stated) <= 1 else _HEDGE


def top_level_boxes(text: str) -> list[str]:
    """Contents of the boxes not nested in another box, in order (one left-to-right scan)."""
    found, position = [], 0
    while True:
        starts = [(text.find(box + "{", position), box) for box in _BOXES]
        starts = [(at, box) for at, box in starts if at >= 0]
        if not starts:
            return found
        at, box = min(starts)
        brace = at + len(box)
        end = matching_close(text, brace)
        if end is None:  # an unclosed box: nothing after it can be a top-level box either
            return found
        found.append(text[brace + 1:end])
        position = end + 1


def _after_phrase(text: str, phrase: re.Pattern[str]) -> Any:
    matches = list(phrase.finditer(text))
    if not matches:
        return None
    rest = text[matches[-1].end():]
    boxed = _boxed(rest)
    if boxed:  # an answer, or the hedge sentinel
        return boxed
    return _tidy(rest.split("\n", 1)[0])


def _last_line(text: str) -> str | None:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return _tidy(lines[-1]) if lines else None


def _tidy(answer: str) -> str | None:
    answer = answer.strip().strip("*").strip()
    if answer.startswith("$") and answer.count("$") >= 2:
        answer = answer[1:answer.index("$", 1)] if not answer.startswith("$$") else answer.strip("$")
    answer = answer.strip().rstrip(".").strip()
    return answer or None


_LEAD_IN = re.compile(r"(?:\b(?:is|are|was|equals|becomes|gives|get|gets|got|obtain)\b|:)\s*", re.I)
_DISCOURSE = re.compile(r"^(?:so|thus|therefore|hence|then|finally)\b[\s,]*", re.I)
_NAMED = re.compile(r"(?:^|\s)([A-Za-z])\s*$")
_NEGATION = re.compile(r"\b(?:not|no|never|cannot|neither|nor)\b|n't\b", re.I)


def sentence_answer(text: str) -> str | None:
    """What a one-sentence reply states as its answer: the text after its last `is`/`equals`/`:`
    ("The answer is 42.") or after a leading "so"/"therefore" ("Therefore x = 5."), tidied; None
    when there is no such lead-in or the sentence negates or hedges (`not`, `never`, `n't`), so
    "The answer is not 42." is never read as 42. The caller checks that what is left is math."""
    if _NEGATION.search(text):
        return None
    leads = list(_LEAD_IN.finditer(text))
    if leads:
        stated = _tidy(text[leads[-1].end():])
        named = _NAMED.search(text, 0, leads[-1].start())  # "x is 5" states x = 5, not just 5
        return f"{named.group(1)} = {stated}" if named and stated else stated
    discourse = _DISCOURSE.match(text)
    return _tidy(text[discourse.end():]) if discourse else None
