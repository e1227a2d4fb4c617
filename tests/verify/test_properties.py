"""Property tests: the parsers raise only their own error type and never execute anything."""

import ast
import builtins
import contextlib
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.verify import check_answer, extract_answer
from cotsynth.core.arithmetic import UnsafeExpression, check_equation, evaluate
from cotsynth.verify.numeric import read_number
from cotsynth.verify import worker_pool  # noqa: F401 - imported here: importing compiles source

MATHY = st.text(alphabet="0123456789+-*/^().,%eE x=_[]{}\\fracsqrt'\"", max_size=60)
ANY = st.text(max_size=80)


@contextlib.contextmanager
def no_code_execution():
    """Fail loudly if the code under test reaches Python's code-running builtins (hypothesis itself
    uses them, so this wraps only the call under test)."""
    real_compile = builtins.compile

    def forbidden(*_args, **_kwargs):
        raise AssertionError("untrusted text reached a code-running builtin")

    def syntax_tree_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:  # ast.parse builds a tree and never a code object
            forbidden()
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    with mock.patch.object(builtins, "eval", forbidden), mock.patch.object(builtins, "exec", forbidden), \
            mock.patch.object(builtins, "compile", syntax_tree_only):
        yield


@settings(max_examples=400, deadline=None)
@given(st.one_of(MATHY, ANY))
def test_evaluate_raises_only_its_own_error(text):
    with no_code_execution():
        try:
            evaluate(text)
        except UnsafeExpression:
            pass
        check_equation(text)


@settings(max_examples=400, deadline=None)
@given(st.one_of(MATHY, ANY))
def test_read_number_raises_only_its_own_error(text):
    with no_code_execution():
        try:
            read_number(text)
        except UnsafeExpression:
            pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(MATHY, ANY), st.sampled_from(["string", "boolean", "integer", "list", "set", None]))
def test_check_answer_fast_tiers_never_raise(text, answer_type):
    # A pred the fast tiers cannot decide goes to the symbolic worker, another process: the guard
    # covers everything that runs in this one.
    with no_code_execution():
        verdict = check_answer("7", text, answer_type or "integer", timeout_s=30)
        padded = check_answer("7", f"  {text} ", answer_type or "integer", timeout_s=30)
        extracted = extract_answer(text)
    assert verdict.match == (verdict.status == "match") and verdict.reason
    assert padded.status == verdict.status  # surrounding whitespace never decides
    assert extracted is None or extracted.strip() in text


@settings(max_examples=60, deadline=None)
@given(MATHY)
def test_symbolic_tier_returns_a_consistent_verdict(text):
    verdict = check_answer("x+1", text, "expression", timeout_s=30)
    assert verdict.match == (verdict.status == "match") and verdict.reason


@settings(max_examples=100, deadline=None)
@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 9))
def test_expressions_match_exactly_when_equal(a, b, c, shift):
    """(a x + b)(x + c) against its expansion, and against the expansion with one coefficient moved."""
    gold = f"({a}*x + {b})*(x + {c})"
    expanded = f"{a}*x^2 + {a * c + b}*x + {b * c}"
    assert check_answer(gold, expanded, "expression", timeout_s=30).match
    assert not check_answer(gold, f"{a}*x^2 + {a * c + b + shift}*x + {b * c}", "expression", timeout_s=30).match


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**12, 10**12), st.integers(1, 10**6))
def test_exact_numbers_round_trip(num, den):
    assert check_answer(f"{num}/{den}", f"\\frac{{{num}}}{{{den}}}").match
    assert not check_answer(f"{num}/{den}", f"{num + 1}/{den}").match
