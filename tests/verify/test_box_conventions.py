"""The box convention, held: the last top-level `\\boxed{}` of a response is its answer, a nested box
is part of it, and a hedge never pays (property tests over hedge shapes)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cotsynth.reward import score
from cotsynth.verify import check_answer, extract_answer

numbers = st.integers(min_value=-999, max_value=999)
pairs = st.tuples(numbers, numbers).filter(lambda ab: ab[0] != ab[1])
reasoning = st.sampled_from(["", "Let me think.\n", "Step 1: 3 + 4 = 7\nStep 2: 7 + 1 = 8\n", "So "])
HEDGES = [
    "\\boxed{{{a}}} or \\boxed{{{b}}}",
    "The answer is \\boxed{{{a}}}. Or maybe \\boxed{{{b}}}.",
    "\\boxed{{{a}}}\n\\boxed{{{b}}}",
    "The answer is {a} or {b}",
    "The answer is either {a} or {b}",
    "\\boxed{{{a} \\text{{ or }} {b}}}",
    "\\boxed{{{a}, {b}}}",
    "\\boxed{{\\{{{a}, {b}\\}}}}",
    "\\boxed{{[{a}, {b}]}}",
    "Final answer: {a} and {b}",
    "\\boxed{{x = {a} \\text{{ or }} x = {b}}}",
]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(pairs, reasoning, st.sampled_from(HEDGES))
def test_a_hedge_never_pays(ab, before, shape):
    a, b = ab
    response = before + shape.format(a=a, b=b)
    assert score(response, str(a)) == 0.0, response
    assert score(response, str(b)) == 0.0, response


@FAST
@given(numbers, st.integers(min_value=1, max_value=9), reasoning)
def test_plus_minus_covering_the_answer_never_pays(a, d, before):
    response = before + f"\\boxed{{{a} \\pm {d}}}"
    assert score(response, str(a + d)) == 0.0 and score(response, str(a - d)) == 0.0


@FAST
@given(numbers, reasoning)
def test_one_answer_stated_twice_still_pays(a, before):
    """Control: the properties above can fail. Repeating the same box is no hedge."""
    assert score(before + f"\\boxed{{{a}}}", str(a)) == 1.0
    assert score(f"I get \\boxed{{{a}}}.\n{before}So the answer is \\boxed{{{a}}}.", str(a)) == 1.0


def test_the_outermost_box_is_the_answer():
    assert extract_answer(r"\boxed{\boxed{5} + 1}") == r"\boxed{5} + 1"
    assert score(r"\boxed{\boxed{5} + 1}", "5") == 0.0
    assert extract_answer(r"Work: \boxed{2}. Then \boxed{\frac{\boxed{1}}{2}} wait no") is None  # disagreeing boxes
    assert extract_answer(r"so $\boxed{\frac{1}{2}}$.") == r"\frac{1}{2}"
    assert extract_answer(r"The form is \boxed{}; filled in: \boxed{3}") == "3"  # an empty box states nothing


def test_check_answer_takes_an_answer_not_a_response():
    verdict = check_answer("5", r"\boxed{5} + 1")
    assert not verdict.match and verdict.status == "unverifiable" and "not an answer" in verdict.reason
    assert check_answer("5", r"\boxed{5}").match  # a box around the whole answer is only a wrapper


@pytest.mark.parametrize("value", [42, 4.2, b"\\boxed{4}", ["\\boxed{4}"]])
def test_non_string_inputs_are_type_errors(value):
    with pytest.raises(TypeError, match="extract_answer: text must be a str"):
        extract_answer(value)
    with pytest.raises(TypeError, match="score: completion must be a str"):
        score(value, "4")
    with pytest.raises(TypeError, match="score: ground_truth must be a str"):
        score("\\boxed{4}", value)
