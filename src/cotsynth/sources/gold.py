"""Gold answers of dataset rows: extracted from the answer column, typed per row, matched by type.

A dataset's answer column may hold the bare answer (`none`), a worked solution closing in
`\\boxed{...}` (`boxed`, MATH style), one closing in `#### 42` (`gsm8k`) or just ending in a number
(`last_number`). The extracted gold is typed per row (integer, rational, decimal, expression,
interval, set, choice, text) and the type steers `answers_match`. A gold that cannot be read is a
reason, never a guess: the row is dropped with it.
"""

from __future__ import annotations

import re

from cotsynth.verify import check_answer, extract_answer
from cotsynth.verify.normalize import bounds_problem, strip_wrappers

EXTRACT_MODES = ("none", "boxed", "gsm8k", "last_number")
MAX_GOLD_CHARS = 200
MAX_TEXT_WORDS = 8

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_LAST_NUMBER = re.compile(rf"(?<![\w.]){_NUMBER}(?:/\d+)?(?![\w])")
_INTEGER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_DECIMAL = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?\.\d+$")
_RATIONAL = re.compile(r"^[-+]?(?:\d+\s*/\s*\d+|\\[dt]?frac\{\s*\d+\s*\}\{\s*\d+\s*\})$")
_CHOICE = re.compile(r"^\(?[A-J]\)?$")
_INTERVAL = re.compile(r"^[(\[].*,.*[)\]]$|\\cup")
_SET = re.compile(r"^\\\{.*\\\}$|^\{.*\}$")
_MATHY = re.compile(r"[\\^=_{}]|\d|(?<![A-Za-z])[a-z](?![A-Za-z])")
# The number readers take "18 apples" and "$18" as 18; a scale word changes the number, so a numeric
# gold never matches a prediction that has one ("18 thousand").
_COMMAND = re.compile(r"\\[A-Za-z]+")
_SCALE = re.compile(r"\b(?:hundred|thousand|million|billion|trillion|dozen|half|quarter|percent of|times)\b", re.I)


def extract_gold(text: str, mode: str) -> tuple[str | None, str]:
    """(gold, why not) from the answer column's text under `answer_extract`."""
    text = text.strip()
    if not text:
        return None, "empty answer"
    if mode == "none":
        gold = text
    elif mode == "boxed":
        gold = extract_answer(text, strategies=("boxed",))
        if gold is None:
            return None, "no \\boxed{...} in the answer"
    elif mode == "gsm8k":
        gold = extract_answer(text, strategies=("hashes",))
        if gold is None:
            return None, "no `#### <answer>` line in the answer"
    elif mode == "last_number":
        numbers = _LAST_NUMBER.findall(text)
        if not numbers:
            return None, "no number in the answer"
        gold = numbers[-1]
    else:
        raise ValueError(f"unknown answer_extract {mode!r}; known: {', '.join(EXTRACT_MODES)}")
    gold = strip_wrappers(gold)
    if mode in ("gsm8k", "last_number") and _INTEGER.match(gold.replace(" ", "")):
        gold = gold.replace(",", "").replace(" ", "")
    return (gold, "") if gold else (None, "empty gold after extraction")


def answer_type(gold: str) -> tuple[str | None, str]:
    """(type, why not): the type of a gold answer, or None with the reason it cannot be checked."""
    problem = bounds_problem(gold)
    if problem:
        return None, f"gold {problem}"
    if len(gold) > MAX_GOLD_CHARS or "\n" in gold.strip():
        return None, f"gold is not a short answer ({len(gold)} characters)"
    compact = gold.replace(" ", "")
    if _INTEGER.match(compact):
        return "integer", ""
    if _DECIMAL.match(compact):
        return "decimal", ""
    if _RATIONAL.match(compact):
        return "rational", ""
    if _CHOICE.match(compact):
        return "choice", ""
    if _SET.match(compact):
        return "set", ""
    if _INTERVAL.search(compact):
        return "interval", ""
    if _MATHY.search(gold) and not re.search(r"[A-Za-z]{4,}", _COMMAND.sub(" ", gold)):
        return "expression", ""
    words = gold.split()
    if len(words) <= MAX_TEXT_WORDS and re.search(r"[A-Za-z]", gold):
        return "text", ""
    return None, "gold is neither a number, a math expression nor a short text"


def answers_match(gold: str, pred: str | None, kind: str) -> tuple[bool, str]:
    """(match, reason) of a prediction against a typed gold."""
    if pred is not None and kind in ("integer", "decimal", "rational") and _SCALE.search(pred):
        return False, f"a scale word changes the number: {pred[:60]}"
    verdict = check_answer(gold, pred, kind)
    return verdict.match, verdict.reason
