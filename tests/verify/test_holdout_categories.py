"""The hold-out's categories, each with several cases and the near misses that must stay rejected:
an answer inside a sentence, e^{i pi}-style constants, the reciprocal of i, a number with unit
text, and clock durations compared exactly at the precision given."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.verify import check_answer
from cotsynth.verify.clock import read_clock

GENEROUS_S = 30.0  # near misses may reach the symbolic worker: assertions are on verdicts, never time


def matches(gold: str, pred: str) -> bool:
    return check_answer(gold, pred, timeout_s=GENEROUS_S).match


@pytest.mark.parametrize("gold, pred", [
    ("42", "The answer is 42."), ("3/4", "So the result is 3/4."), ("x = 5", "Therefore x = 5."),
    ("5", "Therefore x = 5."), ("7", "Thus, the value of x is 7."), ("x = 7", "The value of x is 7."),
    ("\\frac{1}{2}", "The final answer is $\\frac{1}{2}$."), ("(1, 2)", "The answer is (1, 2)."),
    ("12", "The answer is 12 cm."), ("2x+2", "So the expression equals 2(x+1)."),
])
def test_answer_inside_a_sentence(gold, pred):
    assert matches(gold, pred)


@pytest.mark.parametrize("gold, pred", [
    ("42", "The answer is not 42."), ("42", "The answer is 42 or 43."), ("42", "42 is wrong; the answer is 43."),
    ("42", "The answer isn't 42."), ("y = 7", "The value of x is 7."), ("42", "The answer is 42 because 6 times 7."),
    ("12 cm", "The answer is 12 kg."), ("3/4", "So the result is 4/3."), ("Paris", "The answer is Paris, not Rome."),
])
def test_sentence_near_misses_stay_rejected(gold, pred):
    assert not matches(gold, pred)


@pytest.mark.parametrize("gold, pred", [
    ("-1", "e^{i\\pi}"), ("e^{i\\pi}", "-1"), ("0", "e^{i\\pi} + 1"), ("1", "e^{2\\pi i}"), ("i", "e^{i\\pi/2}"),
    ("-i", "e^{3i\\pi/2}"), ("\\frac{1}{2}+\\frac{\\sqrt{3}}{2}i", "e^{i\\pi/3}"), ("\\frac{\\sqrt{2}}{2}(1+i)", "e^{i\\pi/4}"),
    ("-1", "\\exp(i\\pi)"), ("-1", "i^2"), ("1", "i^4"), ("2i", "\\sqrt{-4}"),
])
def test_constant_identities_with_i(gold, pred):
    assert matches(gold, pred)


@pytest.mark.parametrize("gold, pred", [
    ("1", "e^{i\\pi}"), ("-1", "e^{2\\pi i}"), ("i", "e^{3i\\pi/2}"), ("\\frac{1}{2}-\\frac{\\sqrt{3}}{2}i", "e^{i\\pi/3}"),
    ("1", "i^2"), ("-2i", "\\sqrt{-4}"), ("0", "e^{i\\pi} - 1"),
])
def test_constant_identity_near_misses_stay_rejected(gold, pred):
    assert not matches(gold, pred)


@pytest.mark.parametrize("gold, pred, same", [
    ("-i", "\\frac{1}{i}", True), ("\\frac{1}{i}", "-i", True), ("-i", "1/i", True), ("i", "\\frac{-1}{i}", True),
    ("\\frac{1}{2i}", "-\\frac{i}{2}", True), ("\\frac{1}{1+i}", "\\frac{1-i}{2}", True),
    ("i", "\\frac{1}{i}", False), ("-i", "\\frac{1}{-i}", False), ("\\frac{1}{1+i}", "\\frac{1+i}{2}", False),
])
def test_reciprocal_of_i(gold, pred, same):
    assert matches(gold, pred) is same


@pytest.mark.parametrize("gold, pred, same", [
    ("12", "12 \\text{ cm}", True), ("12 \\text{cm}", "12", True), ("5", "5\\,\\mathrm{m}", True), ("5", "5 \\text{ meters}", True),
    ("3.5", "3.5 \\text{ kg}", True), ("12 \\text{ cm}", "12 \\text{cm}", True), ("12", "12 cm", True),
    ("12", "13 \\text{ cm}", False), ("12 \\text{ cm}", "12 \\text{ kg}", False), ("12", "12 \\text{ or } 13", False),
    ("12", "1.2 \\text{ cm}", False),
])
def test_bare_number_against_unit_text(gold, pred, same):
    assert matches(gold, pred) is same


@pytest.mark.parametrize("gold, pred, status", [
    ("0:44:16.093000", "00:44:16.092", "mismatch"), ("0:44:16.093000", "00:44:16.093", "match"),
    ("1:02:03", "01:02:03", "match"), ("1:02:03", "1:02:04", "mismatch"), ("12:30", "12:31", "mismatch"),
    ("0:00:01.5", "0:00:01.50", "match"), ("0:00:01.5", "0:00:01.05", "mismatch"), ("0:00:01.5", "0:00:01", "mismatch"),
    ("0:44:16", "44:16", "unverifiable"), ("12:30", "12:30:00", "unverifiable"), ("0:44:16", "2656", "unverifiable"),
])
def test_clock_values_compare_exactly_at_the_precision_given(gold, pred, status):
    assert check_answer(gold, pred).status == status


clock_parts = st.tuples(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))


@settings(max_examples=200, deadline=None)
@given(clock_parts, st.integers(0, 3), st.integers(1, 999))
def test_clock_property(parts, trailing_zeros, delta):
    """A duration matches itself however padded, and never one that differs in any millisecond."""
    h, m, s, ms = parts
    gold = f"{h}:{m:02d}:{s:02d}.{ms:03d}"
    assert check_answer(gold, f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}{'0' * trailing_zeros}").match
    total = ((h * 60 + m) * 60 + s) * 1000 + ms + delta
    other = f"{total // 3_600_000}:{total // 60_000 % 60:02d}:{total // 1000 % 60:02d}.{total % 1000:03d}"
    if read_clock(other) is not None:
        assert check_answer(gold, other).status == "mismatch"


@settings(max_examples=100, deadline=None)
@given(st.integers(-10**6, 10**6), st.sampled_from(["cm", "m", "kg", "meters", "apples"]))
def test_unit_and_sentence_property(n, unit):
    assert check_answer(str(n), f"{n} \\text{{ {unit}}}").match
    assert not check_answer(str(n), f"{n + 1} \\text{{ {unit}}}").match
    assert check_answer(str(n), f"The answer is {n}.").match
    assert not check_answer(str(n), f"The answer is {n + 1}.").match


@settings(max_examples=60, deadline=None)
@given(st.integers(-24, 24))
def test_euler_property(m):
    """e^{i pi m/6} is exactly cos + i sin; its conjugate differs unless the sine is zero."""
    cos = ["1", "\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}", "0", "-\\frac{1}{2}", "-\\frac{\\sqrt{3}}{2}"]
    cos += ["-1", "-\\frac{\\sqrt{3}}{2}", "-\\frac{1}{2}", "0", "\\frac{1}{2}", "\\frac{\\sqrt{3}}{2}"]
    c, s = cos[m % 12], cos[(3 - m) % 12]
    assert check_answer(f"{c} + ({s})i", f"e^{{i\\pi \\cdot {m}/6}}").match
    assert check_answer(f"{c} - ({s})i", f"e^{{i\\pi \\cdot {m}/6}}").match is (m % 6 == 0)


@pytest.mark.parametrize("pred", ["lambda: 1", "import os; the answer is 1.", "The answer is __import__('os') or 1."])
def test_code_is_never_read_as_a_sentence(pred):
    assert not check_answer("1", pred).match
