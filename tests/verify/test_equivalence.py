"""Must-match and must-not-match pairs across every answer form the issue lists."""

import pytest

from cotsynth.verify import answers_match, check_answer
GENEROUS_S = 30.0  # symbolic budget on a loaded box: assertions are on verdicts, never time

MATCH = [
    # integers, signs, separators, decimals
    ("42", "42"), ("42", " 42 "), ("42", "42.0"), ("42", "42.00"), ("-7", "-7"), ("-7", "−7"), ("+5", "5"),
    ("1234", "1,234"), ("1234567", "1,234,567"), ("1234", "1{,}234"), ("0.5", ".5"), ("0.5", "0.50"),
    ("3.14", "3.140"), ("100", "100."), ("0", "-0"), ("007", "7"),
    # fractions, mixed numbers
    ("1/2", "0.5"), ("1/2", "2/4"), ("1/2", "\\frac{1}{2}"), ("1/2", "\\dfrac{1}{2}"), ("1/2", "\\tfrac{1}{2}"),
    ("1/2", "\\frac12"), ("-1/2", "-\\frac{1}{2}"), ("-1/2", "\\frac{-1}{2}"), ("3/2", "1 1/2"),
    ("3/2", "1\\frac{1}{2}"), ("-3/2", "-1 1/2"), ("7/4", "1.75"), ("2", "\\frac{4}{2}"), ("1/3", "2/6"),
    # percentages, scientific notation, currency, units
    ("50%", "0.5"), ("50\\%", "50%"), ("50%", "50"), ("0.25", "25%"), ("12.5%", "0.125"), ("1500", "1.5e3"),
    ("1500", "1.5E3"), ("0.0015", "1.5e-3"), ("1500", "1.5 \\times 10^{3}"), ("1500", "1.5\\cdot10^3"),
    ("30", "\\$30"), ("30", "$30"), ("12", "12 apples"), ("5", "5 cm"),
    # wrappers
    ("5", "\\boxed{5}"), ("5", "$5$"), ("5", "$$5$$"), ("5", "\\(5\\)"), ("5", "\\[5\\]"), ("5", "\\text{5}"),
    ("5", "**5**"), ("5", "5."), ("5", "\\boxed{\\text{5}}"), ("\\frac{1}{2}", "$\\boxed{\\dfrac{1}{2}}$"),
    # plain arithmetic (exact evaluator)
    ("1024", "2^10"), ("1024", "2^{10}"), ("1024", "2**10"), ("7", "3+4"), ("12", "3 \\times 4"), ("12", "3 \\cdot 4"),
    ("5", "(2+3)"), ("0.75", "3/4"),
    # LaTeX and symbolic
    ("\\sqrt{8}", "2\\sqrt{2}"), ("2\\sqrt{2}", "\\sqrt{8}"), ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}"),
    ("\\pi", "\\pi"), ("2\\pi", "2 \\pi"), ("\\pi/2", "\\frac{\\pi}{2}"), ("2(x+1)", "2x+2"), ("2x+2", "2(x+1)"),
    ("x^2-1", "(x-1)(x+1)"), ("x^2", "x**2"), ("x^2", "x^{2}"), ("a+b", "b+a"), ("2x", "2*x"), ("2x", "x \\cdot 2"),
    ("(x+1)^2", "x^2+2x+1"), ("\\frac{x}{2}", "0.5x"), ("\\sqrt{2}", "\\sqrt 2"), ("\\sqrt{2}", "2^{1/2}"),
    ("\\left(\\frac{1}{2}\\right)", "\\frac{1}{2}"), ("3\\sqrt{3}", "\\sqrt{27}"), ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}"),
    ("\\sin^2 x + \\cos^2 x", "1"), ("\\infty", "\\infty"), ("x^3", "x \\cdot x \\cdot x"), ("e^{2}", "e^2"),
    ("\\frac{2}{3}x", "\\frac{2x}{3}"), ("-x", "-1 \\cdot x"),
    # equations and assignments
    ("x = 3", "3"), ("3", "x = 3"), ("x=3", "x = 3"), ("y = 2x+1", "y = 1+2x"), ("x = 1/2", "x = 0.5"),
    ("k = 4", "k=\\frac{8}{2}"),
    # tuples, lists, sets, intervals
    ("(1, 2)", "(1,2)"), ("(1, 2)", "(1.0, 2)"), ("(1/2, 3)", "(0.5, 3)"), ("[1, 2, 3]", "[1,2,3]"),
    ("\\{1, 2\\}", "\\{2, 1\\}"), ("\\{1,2,3\\}", "\\{3,1,2\\}"), ("2, 3", "3, 2"), ("2, 3", "2,3"),
    ("[0, 1]", "[0,1]"), ("[0, 1)", "[0, 1)"), ("(-\\infty, 2)", "x<2"), ("(-\\infty, 2]", "x \\leq 2"),
    ("(0, \\infty)", "x > 0"), ("(1, \\sqrt{2})", "(1, \\sqrt 2)"), ("(x, 2x)", "(x, x+x)"),
    # booleans
    ("yes", "Yes"), ("yes", "YES"), ("yes", "true"), ("no", "No."), ("no", "false"), ("True", "yes"),
    ("False", "no"), ("true", "\\text{True}"),
    # plain strings: entities, action sequences
    ("Paris", "paris"), ("Paris", "Paris."), ("Paris", "  Paris "), ("Paris", "\\text{Paris}"), ("New York", "new  york"),
    ("JUMP WALK", "jump walk"), ("JUMP WALK", "JUMP  WALK"), ("I_JUMP I_WALK", "i_jump i_walk"), ("Marie Curie", "marie curie"),
    ("blue", "\"blue\""), ("Mount Everest", "MOUNT EVEREST"),
]

MISMATCH = [
    # numbers
    ("42", "43"), ("42", "-42"), ("42", "4.2"), ("1234", "1,235"), ("1234", "12,34,5"), ("0.5", "0.05"),
    ("1/2", "1/3"), ("1/2", "2/1"), ("1/3", "0.333"), ("1/3", "0.333333"), ("2/3", "0.67"), ("815965", "815970"),
    ("\\pi", "3.1416"), ("\\pi", "3.14159"), ("24.2548938649", "24.2548938650"), ("3/2", "1 1/3"),
    ("50%", "5"), ("1500", "1.5e4"), ("12", "12 or 13"), ("12", "13 apples"), ("100", "10^3"), ("7", "3+5"),
    ("1", "1 2"), ("0", "1"), ("2", "\\frac{4}{3}"), ("12", "12 apples and 3 pears"),
    # symbolic
    ("2x+2", "2x+1"), ("2(x+1)", "2x+1"), ("x^2", "x^3"), ("\\sqrt{8}", "\\sqrt{7}"), ("x+y", "x-y"),
    ("\\sqrt{2}", "1.414"), ("\\frac{x}{2}", "2x"), ("e^{2}", "e^3"), ("x", "y"), ("\\sin x", "\\cos x"),
    ("(x+1)^2", "x^2+1"),
    # equations
    ("x = 3", "4"), ("x = 3", "y = 3"), ("x = 3", "x = 4"), ("y = 2x+1", "y = 2x-1"),
    # structures
    ("(1, 2)", "(2, 1)"), ("(1, 2)", "(1, 2, 3)"), ("[1, 2, 3]", "[3, 2, 1]"), ("\\{1, 2\\}", "\\{1, 3\\}"),
    ("\\{1, 2\\}", "\\{1, 2, 3\\}"), ("[0, 1]", "[0, 1)"), ("[0, 1)", "(0, 1)"), ("(0, 1]", "[0, 1]"),
    ("(-\\infty, 2)", "x \\leq 2"), ("(-\\infty, 2)", "x > 2"), ("2, 3", "2, 4"), ("2, 3", "2"), ("(1, 2)", "\\{1, 2\\}"),
    # booleans
    ("yes", "no"), ("true", "false"), ("no", "yes"),
    # strings
    ("Paris", "London"), ("Paris", "Pariss"), ("JUMP WALK", "WALK JUMP"), ("JUMP WALK", "JUMP"), ("New York", "York"),
    ("Marie Curie", "Pierre Curie"),
]


@pytest.mark.parametrize("gold,pred", MATCH)
def test_must_match(gold, pred):
    verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
    assert verdict.match, verdict
    assert verdict.status == "match"


@pytest.mark.parametrize("gold,pred", MISMATCH)
def test_must_not_match(gold, pred):
    verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
    assert not verdict.match, verdict
    assert verdict.status in ("mismatch", "unverifiable")


def test_the_table_decides_in_every_tier():
    """The cases reach every tier that can decide a pair both ways (not just many cases of one), and
    `match` agrees with `status` whichever tier decided."""
    decided = {True: set(), False: set()}
    for (gold, pred), expected in [*((c, True) for c in MATCH), *((c, False) for c in MISMATCH)]:
        verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
        assert verdict.match == (verdict.status == "match") and verdict.reason
        decided[expected].add(verdict.method)
    both_ways = {"numeric", "algebra", "structure", "text", "boolean", "symbolic"}
    assert both_ways <= decided[True] & decided[False]
    assert "string" in decided[True]


@pytest.mark.parametrize("gold,pred,answer_type,expected", [
    ("3.14159", "3.1416", "float", False),
    ("3.14159", "3.141590001", "float", True),
    ("2, 3", "3, 2", "list", False),
    ("2, 3", "3, 2", "set", True),
    ("[1, 2]", "[2, 1]", "unordered_list", True),
    ("(1, 2)", "(2, 1)", "tuple", False),
    ("1", "yes", "boolean", True),
    ("Apple Pie", "apple pie", "string", True),
    ("42", "x = 42", "integer", True),
    ("2(x+1)", "2x+2", "expression", True),
    ("x = 2", "2", "equation", True),
    ("[0, 1)", "0 \\le x < 1", "interval", True),
    ("7", "7", "no-such-type", True),
])
def test_answer_type_steers(gold, pred, answer_type, expected):
    assert answers_match(gold, pred, answer_type, timeout_s=GENEROUS_S) is expected


def test_tolerance_only_when_asked():
    assert not answers_match("0.3333", "1/3")
    assert answers_match("0.3333", "1/3", tolerance=1e-3)


def test_verdict_fields():
    verdict = check_answer("1/2", "\\frac{2}{4}")
    assert (verdict.match, verdict.status, verdict.method) == (True, "match", "numeric")
    assert verdict.gold_normalized == verdict.pred_normalized == "1/2"
    assert check_answer("5", None).status == "unverifiable"
    assert check_answer("5", "").status == "unverifiable"
