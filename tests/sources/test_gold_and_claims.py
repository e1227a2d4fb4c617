"""Gold extraction, per-row answer types, typed matching and graph-free claim labels."""

from __future__ import annotations

import pytest

from cotsynth.sources.gold import answer_type, answers_match, extract_gold
from cotsynth.verify.claims import label_claims


@pytest.mark.parametrize(("text", "mode", "gold"), [
    ("42", "none", "42"),
    ("3 + 4 = 7\nso 1,000 in all\n#### 1,000", "gsm8k", "1000"),
    ("so the answer is $\\boxed{\\frac{3}{4}}$.", "boxed", "\\frac{3}{4}"),
    ("she pays 18 dollars, then 2.5 more: 20.5 in all.", "last_number", "20.5"),
])
def test_extract_gold(text, mode, gold):
    assert extract_gold(text, mode) == (gold, "")


@pytest.mark.parametrize(("text", "mode", "why"), [
    ("the answer is 5", "gsm8k", "no `#### <answer>` line"),
    ("the answer is 5", "boxed", "no \\boxed"),
    ("no digits here", "last_number", "no number"),
    ("   ", "none", "empty answer"),
])
def test_unreadable_gold_says_why(text, mode, why):
    gold, reason = extract_gold(text, mode)
    assert gold is None and why in reason


@pytest.mark.parametrize(("gold", "kind"), [
    ("42", "integer"), ("-1,250", "integer"), ("3.75", "decimal"), ("7/20", "rational"), ("\\frac{5}{6}", "rational"),
    ("x^2 + 5x + 6", "expression"), ("\\sqrt{2}", "expression"), ("(3, \\infty)", "interval"), ("\\{1, 2\\}", "set"),
    ("C", "choice"), ("(B)", "choice"), ("Sunday", "text"), ("blue whale", "text"),
])
def test_answer_type(gold, kind):
    assert answer_type(gold) == (kind, "")


def test_long_or_multiline_gold_is_refused():
    assert answer_type("x" * 300)[0] is None
    assert answer_type("first line\nsecond line")[0] is None
    assert answer_type("a very long sentence that is not any short answer at all, surely")[0] is None


@pytest.mark.parametrize(("gold", "kind", "pred", "match"), [
    ("18", "integer", "18 apples", True),
    ("18", "integer", "$18", True),
    ("18", "integer", "18.0", True),
    ("18", "integer", "18 thousand", False),
    ("18", "integer", "19", False),
    ("18", "integer", "ANSWER", False),
    ("3.75", "decimal", "15/4", True),
    ("\\frac{5}{6}", "rational", "5/6", True),
    ("\\frac{5}{6}", "rational", "0.83", False),
    ("x^2 + 5x + 6", "expression", "(x+2)(x+3)", True),
    ("x^2 + 5x + 6", "expression", "x^2 + 5x + 5", False),
    ("(3, \\infty)", "interval", "x > 3", True),
    ("(3, \\infty)", "interval", "[3, \\infty)", False),
    ("C", "choice", "(C)", True),
    ("C", "choice", "c.", True),
    ("C", "choice", "D", False),
    ("Sunday", "text", "sunday", True),
    ("Sunday", "text", "Monday", False),
])
def test_typed_matching(gold, kind, pred, match):
    assert answers_match(gold, pred, kind)[0] is match


def test_claims_check_arithmetic_and_substitutions_exactly():
    labels = label_claims([
        "Let x = 4 be the number of apples.",
        "Then 3x + 2 = 14, so he has 14.",
        "Then 2x - 1 = 8.",
        "Tom likes apples.",
        "So 5 - 2 = 3 apples.",
        "And 7 * 3 = 20.",
        "Now -27/4 + 7 = 1/4.",
    ])
    assert labels.labels == [None, True, False, None, True, False, True]
    assert labels.first_wrong == 2 and "x = 4" in labels.reasons[2]


def test_claims_never_evaluate_code():
    hostile = ["x = 2", "__import__('os').system('true') = 0", "x ** 99999999 = 1", "(" * 500 + "1" + ")" * 500 + " = 1"]
    labels = label_claims(hostile)
    assert labels.labels[1] is None and labels.labels[2] is not True
