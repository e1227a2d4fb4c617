"""Teacher grading: a number's answer must be a number, not the question's operation restated."""

from __future__ import annotations

import pytest
from teacher_docs import DOC

from cotsynth import tasks
from cotsynth.config import parse_config
from cotsynth.tasks.base import Problem
from cotsynth.teacher.client import Answer
from cotsynth.teacher.grading import score
from cotsynth.teacher.stage import judge


def arith_problem() -> Problem:
    """The first arith problem of DOC with a positive whole answer."""
    config = parse_config(DOC)
    family = tasks.get("arith")
    built = (family.build(config.seed, "arith", i, config.knob_settings(0), family.templates()) for i in range(100))
    return next(p for p in built if p.answer.isdigit() and int(p.answer) > 2)


@pytest.mark.parametrize(("prediction", "right"), [
    ("{a} + {b}", False), ("{a}+{b}", False), ("{a} \\times 1 + {b}", False), ("({a}) - (-{b})", False),
    ("{s}", True), ("$ {s} $", True), ("{s} apples", True), ("2*{h}", False), ("{h}^1 * 2", False),
])
def test_an_operation_left_to_do_is_no_answer(prediction, right):
    problem = arith_problem()
    value = int(problem.answer)
    a, b = value - 1, 1
    text = prediction.format(a=a, b=b, s=value, h=value / 2 if value % 2 else value // 2)
    assert score(problem, text) is right
    verdict, answer_ok, predicted, _, _ = judge(problem, Answer(content=f"Add them.\nThe answer is \\boxed{{{text}}}."))
    assert verdict.verified is right and answer_ok is right and predicted is not None
    if not right:
        assert verdict.reason.startswith("unevaluated answer:")


def test_a_negative_number_and_a_fraction_are_answers():
    problem = arith_problem()
    for gold, prediction in (("-7", "-7"), ("-7", "$-7$"), ("3/4", "\\frac{3}{4}"), ("3/4", "3/4"), ("2.5", "2.5")):
        assert score(Problem(**{**problem.__dict__, "answer": gold}), prediction), (gold, prediction)
