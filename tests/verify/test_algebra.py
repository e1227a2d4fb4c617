"""The algebra fast path: exact in-process equivalence for plain algebraic answers, sympy trees in the
worker for what it defers, math-verify for what it declines; hostile input; the verdict cache."""

import importlib.util
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.verify import algebra, check_answer, verdict_cache
from cotsynth.core.arithmetic import UnsafeExpression
from cotsynth.verify.worker_pool import WorkerPool
from test_properties import MATHY, no_code_execution

GENEROUS_S = 30.0  # assertions are on verdicts, never on time

FAST_MATCH = [
    ("2(x+1)", "2x+2"), ("x^2-1", "(x-1)(x+1)"), ("(x+1)^2", "x^2+2x+1"), ("x^2", "x**2"), ("a+b", "b+a"),
    ("2x", "2*x"), ("2x", "x \\cdot 2"), ("2x", "x \\times 2"), ("xy", "yx"), ("2xy", "2yx"), ("a^2b", "ba^2"),
    ("(a+b)^3", "a^3+3a^2b+3ab^2+b^3"), ("x(x+1)", "x^2+x"), ("\\frac{x}{2}", "0.5x"), ("\\frac{2}{3}x", "\\frac{2x}{3}"),
    ("\\frac12x", "\\frac{x}{2}"), ("x^{-1}", "\\frac{1}{x}"), ("\\frac{x^2-1}{x-1}", "x+1"), ("\\frac{x}{x}", "1"),
    ("x^0", "1"), ("-x", "-1 \\cdot x"), ("x^3", "x \\cdot x \\cdot x"), ("x/2 + x/3", "5x/6"),
    ("\\sqrt{8}", "2\\sqrt{2}"), ("\\sqrt{12}", "2\\sqrt{3}"), ("\\sqrt{1782}", "9\\sqrt{22}"), ("3\\sqrt{3}", "\\sqrt{27}"),
    ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}"), ("\\sqrt{\\frac{1}{2}}", "\\frac{\\sqrt{2}}{2}"), ("\\sqrt{2}\\sqrt{3}", "\\sqrt{6}"),
    ("2\\sqrt{2}+\\sqrt{8}", "4\\sqrt{2}"), ("\\frac{\\sqrt{6}}{\\sqrt{3}}", "\\sqrt{2}"), ("\\sqrt{2}", "2^{1/2}"), ("4^{1/2}", "2"),
    ("sqrt(8)", "2sqrt(2)"), ("\\sqrt 2", "sqrt(2)"),
    ("\\frac{5\\pi}{3}", "\\frac{5}{3}\\pi"), ("\\pi/2", "\\frac{\\pi}{2}"), ("2pi", "2\\pi"), ("\\pi^2", "\\pi\\pi"),
    ("e^{2}", "e \\cdot e"), ("e^2\\pi", "\\pi e^2"), ("exp(2)", "e^2"), ("\\frac{x+\\sqrt{2}}{2}", "\\frac{x}{2}+\\frac{1}{\\sqrt{2}}"),
    ("y = 2x+1", "y=1+2x"), ("x^2+y^2=1", "y^2+x^2=1"), ("y = 2x+1", "2x+1 = y"),
]

FAST_MISMATCH = [
    ("2x+2", "2x+1"), ("2(x+1)", "2x+1"), ("x^2", "x^3"), ("x+y", "x-y"), ("\\frac{x}{2}", "2x"), ("x", "y"),
    ("(x+1)^2", "x^2+1"), ("\\sqrt{8}", "\\sqrt{7}"), ("\\sqrt{13}", "2\\sqrt{3}"), ("\\sqrt{2}", "1.414"),
    ("e^{2}", "e^3"), ("\\pi", "3.14159"), ("2\\pi", "6.28"), ("0.333x", "\\frac{x}{3}"), ("\\frac{1}{2}x", "\\frac{1}{3}x"),
    ("9(x+7)", "9x+64"), ("x^2-25", "(x-5)(x+6)"), ("\\frac{5\\pi}{3}", "\\frac{6}{3}\\pi"), ("xy", "x+y"),
    ("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5}"), ("2^{-2}", "\\frac{1}{2}x"),
]

# In the grammar, but not decidable in-process: sympy trees in the worker decide.
DEFERRED = [
    ("sin(x)^2+cos(x)^2", "1", True), ("\\sin(x)^2 + \\cos(x)^2", "1", True), ("x^{1/2}", "\\sqrt{x}", True),
    ("exp(2x)", "exp(x)^2", True), ("2^x", "2^(x)", True), ("8^{2/3}", "4", True), ("\\sqrt{x^2}", "x", False),
    ("sin(x)", "cos(x)", False), ("ln(8)", "3ln(2)", True), ("x^{100}", "x^{100}+1", False),
    ("tan(x)", "sin(x)/cos(x)", True), ("e^\\pi", "\\pi^e", False), ("\\sqrt{x^2+2x+1}", "\\sqrt{(x+1)^2}", True),
]

# Outside the grammar: math-verify reads the strings as before.
DECLINED = ["\\sin x", "\\sin^2 x + \\cos^2 x", "1/2x", "1 2", "log(8)", "\\log 8", "x_1", "2i", "x < 2", "abcd", "abc", "lg(x)", "xyz+1",
            "\\sqrt[3]{8}", "\\{1, 2\\}", "f'(x)", "2x+", ""]


@pytest.mark.parametrize("gold,pred", FAST_MATCH)
def test_fast_path_matches(gold, pred):
    verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
    assert verdict.status == "match", verdict
    if verdict.method not in ("string", "numeric"):
        assert verdict.method == "algebra", verdict


@pytest.mark.parametrize("gold,pred", FAST_MISMATCH)
def test_fast_path_mismatches(gold, pred):
    verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
    assert verdict.status == "mismatch", verdict
    assert verdict.method in ("algebra", "numeric"), verdict


@pytest.mark.parametrize("gold,pred,expected", DEFERRED)
def test_deferred_pairs_decided_by_sympy_in_the_worker(gold, pred, expected):
    status, _, trees = algebra.compare(gold, pred)
    assert status == "defer" and trees is not None
    verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
    assert verdict.method == "symbolic"
    assert verdict.status == ("match" if expected else "mismatch"), verdict


@pytest.mark.parametrize("text", DECLINED)
def test_outside_the_grammar_is_declined(text):
    with pytest.raises(algebra.Decline):
        algebra.parse(text)


def test_fast_path_agrees_with_math_verify():
    """The same pairs through math-verify (strings, in the worker) and through the fast path."""
    rng = random.Random(7)
    pairs = FAST_MATCH[:20] + FAST_MISMATCH[:12]
    for _ in range(10):
        a, b, c, d = rng.randint(2, 9), rng.randint(1, 20), rng.randint(2, 60), rng.choice([0, 1, -1])
        pairs += [(f"{a}(x+{b})", f"{a}x+{a * b + d}"), (f"\\sqrt{{{a * a * c}}}", f"{a}\\sqrt{{{c + d}}}"),
                  (f"(x+{a})^{{{b % 5 + 2}}}-x", f"(x+{a + d})^{{{b % 5 + 2}}}-x")]
    pool = WorkerPool(size=1)
    try:
        for gold, pred in pairs:
            ours, _, _ = algebra.compare(gold, pred)
            theirs, _ = pool.compare(gold, pred, GENEROUS_S)
            if ours in ("match", "mismatch") and theirs in ("match", "mismatch"):
                assert ours == theirs, (gold, pred, ours, theirs)
    finally:
        pool.close()


def test_intervals_against_inequalities():
    for gold, pred, expected in [("(-\\infty, 2)", "x < 2", True), ("x<2", "(-\\infty, 2)", True),
                                 ("(-\\infty, 2]", "x \\le 2", True), ("[0, 1)", "0 \\le x < 1", True),
                                 ("(0, \\infty)", "x > 0", True), ("(0, \\infty)", "0 < x", True),
                                 ("(1, 3)", "3 > x > 1", True), ("(-\\infty, 2)", "x \\leq 2", False),
                                 ("(-\\infty, 2)", "x > 2", False), ("(-\\infty, 5)", "x < 6", False),
                                 ("[0, 1]", "0 < x < 1", False)]:
        verdict = check_answer(gold, pred, timeout_s=GENEROUS_S)
        assert verdict.match is expected, (gold, pred, verdict)
        assert verdict.status in ("match", "mismatch")


HOSTILE_ALGEBRA = [
    "x^(9^9^9)", "x^{9^{9^{9}}}", "(x+1)^(10^6)", "x^{1000000}", "2^{2^{2^{2^{2}}}}x", "(x+y+z+w+v+u)^{64}",
    "(x+1)^{64}(y+1)^{64}(z+1)^{64}", "x/(x-x)", "1/0 x", "(x" + "+x" * 300 + ")^2",
    "9" * 1500 + "x", "sqrt(" * 40 + "x" + ")" * 40, "x" + "^x" * 100,
]


@pytest.mark.parametrize("pred", HOSTILE_ALGEBRA, ids=lambda p: p[:30])
def test_hostile_algebra_ends_cleanly(pred):
    with no_code_execution():
        try:
            status = algebra.compare("x+1", pred)[0]
        except algebra.Decline:
            status = "decline"
    assert status in ("mismatch", "unverifiable", "defer", "decline")
    verdict = check_answer("x+1", pred)  # default budget: an overrun is killed, never a hang
    assert not verdict.match and verdict.reason


def test_caps_refuse_rather_than_compute():
    for text in ("x^(9^9^9)", "x^{1001}", "9" * 1300 + "x"):
        status, reason, _ = algebra.compare("x", text)
        assert status == "unverifiable" and "refused" in reason
    for text in ("x^{100}", "(x+y+z+w+v+u)^{64}"):
        assert algebra.compare("x", text)[0] == "defer"


def test_payloads_never_reach_a_parser(tmp_path):
    marker = tmp_path / "pwned"
    for pred in (f"__import__('os').system('touch {marker}')", "x + exec(\"open('m','w')\")",
                 "().__class__", "x.__class__", "lambda: x", "[x for x in ()]", "x if x else x", "x[0]",
                 "x.real", "f(x=1)", "x; x", "x, x", "x == x", "x @ x", "x % 2", "x // 2", "{x: 1}"):
        with no_code_execution():
            try:
                algebra.parse(pred)
            except algebra.Decline:
                pass
            else:
                raise AssertionError(f"{pred!r} parsed")
        assert not check_answer("x+1", pred).match
    assert not marker.exists()


@settings(max_examples=400, deadline=None)
@given(st.one_of(MATHY, st.text(alphabet="xyzabe0123456789+-*/^(){}. \\fracsqrtpi=", max_size=60), st.text(max_size=60)))
def test_algebra_raises_only_its_own_errors(text):
    with no_code_execution():
        for gold, pred in ((text, "x+1"), ("x+1", text), (text, text)):
            try:
                status, reason, trees = algebra.compare(gold, pred)
            except algebra.Decline:
                continue
            except UnsafeExpression:
                raise AssertionError("compare reports caps as a status, not an exception") from None
            assert status in ("match", "mismatch", "unverifiable", "defer") and reason
            assert (trees is not None) == (status == "defer")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 50), st.integers(-50, 50), st.integers(-50, 50), st.integers(0, 4))
def test_expanded_and_factored_forms(a, b, c, k):
    expanded = f"{a}x^2 + {a * (b + c)}x + {a * b * c}".replace("+ -", "- ")
    factored = f"{a}(x+{b})(x+{c})".replace("+-", "-")
    assert algebra.compare(factored, expanded)[0] == "match"
    assert algebra.compare(factored, f"{expanded} + {k + 1}")[0] == "mismatch"
    assert algebra.compare(f"(x+{b})^{k}", f"(x+{b})^{k + 1}")[0] == "mismatch"


def _worker_module():
    path = Path(algebra.__file__).with_name("symbolic_worker.py")
    spec = importlib.util.spec_from_file_location("cotsynth_symbolic_worker_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_worker_tree_builder_refuses_malformed_trees():
    import sympy

    worker = _worker_module()
    for tree in ([], ["s", "os"], ["s", "__import__"], ["f", "eval", ["s", "x"]], ["n", "1", 2], ["n", 1, 0],
                 ["n", True, 1], ["+", ["s", "x"]], "x", ["call", ["s", "x"]], ["s", "é"]):
        with pytest.raises(ValueError):
            worker._build(tree, sympy)
    deep = ["s", "x"]
    for _ in range(200):
        deep = ["neg", deep]
    with pytest.raises(ValueError):
        worker._build(deep, sympy)
    assert worker.compare_trees(algebra.to_json(algebra.parse("2(x+1)")), algebra.to_json(algebra.parse("2x+2")),
                                sympy)["status"] == "match"


def test_numeric_agreement_alone_never_accepts():
    import sympy

    worker = _worker_module()
    # Equal at every positive sample point the worker uses, but not as functions: |x| against x.
    gold, pred = algebra.to_json(algebra.parse("sqrt(x^2)")), algebra.to_json(algebra.parse("x"))
    assert worker.compare_trees(gold, pred, sympy)["status"] == "mismatch"


def test_verdict_cache():
    cache = verdict_cache()
    cache.clear()
    first = check_answer("3(x+5)", "3x+15")
    assert len(cache) == 1
    assert check_answer("3(x+5)", "3x+15") is first and cache.hits == 1
    assert check_answer("3(x+5)", "3x+15", "expression") is not first  # the key includes the type
    pool_unverifiable = check_answer("(x+1)^{30000}", "(x+1)^{30000}+1", timeout_s=0.2)
    if pool_unverifiable.method == "symbolic" and pool_unverifiable.status == "unverifiable":
        assert ("(x+1)^{30000}", "(x+1)^{30000}+1", None, None, None) not in cache._entries
    size = cache.size
    try:
        cache.size = 3
        for n in range(10):
            check_answer(str(n), str(n))
        assert len(cache) <= 3
        cache.size = 0
        cache.clear()
        check_answer("1", "1")
        assert len(cache) == 0
    finally:
        cache.size = size
        cache.clear()
