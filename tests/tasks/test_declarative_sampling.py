"""The fast paths of family files change no problem: kept verdicts, compiled arithmetic and
`str.format` templates give what the slow paths give, and drawing from the enumerated valid
combinations has the distribution of rejection sampling."""

from __future__ import annotations

import copy
import random
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth import tasks
from cotsynth.core import arithmetic
from cotsynth.resources import resource_dir
from cotsynth.tasks.declarative import FamilyFileError, family, family_from_document, load_family
from cotsynth.tasks.declarative.expr import EvalError, evaluate, parse, same
from cotsynth.tasks.declarative.spec import ENV
from cotsynth.tasks.templates import render_text


def _fresh(name: str):
    """A new instance of a shipped family: nothing kept from earlier draws."""
    folder = resource_dir("templates") / "families"
    return next(f for f in (load_family(p, probe=False) for p in folder.glob("*.yaml")) if f.name == name)


def _problems(chosen, count: int, seed: int = 4):
    templates = chosen.templates()
    return [(p.question, p.answer, p.graph.nodes) for p in (chosen.build(seed, "k", i, {}, templates)
                                                             for i in range(count))]


def test_kept_verdicts_change_no_problem(monkeypatch):
    """shopping_change rejects 4 in 10 draws, many of them repeats: with the verdicts kept and
    without (VERDICTS = 0), the same problems."""
    kept = _problems(_fresh("shopping_change"), 300)
    monkeypatch.setattr(family, "VERDICTS", 0)
    assert _problems(_fresh("shopping_change"), 300) == kept


def test_enumerated_draws_have_the_distribution_of_rejection_sampling(monkeypatch):
    """work_rates keeps 31 of 3,481 (hours_a, hours_b): drawn from them, or by rejection, the same
    combinations, each about equally often."""
    enumerated = _fresh("work_rates")
    assert enumerated.sampler == "enumerated" and enumerated.rejection_rate > 0.99
    monkeypatch.setattr(family, "ENUMERATE_FROM", 1.01)
    rejecting = _fresh("work_rates")
    assert rejecting.sampler == "rejection"
    counts = []
    for chosen in (enumerated, rejecting):
        draws = [chosen.draw(random.Random(k)) for k in range(3100)]
        counts.append(Counter((env["hours_a"], env["hours_b"]) for env in draws))
        assert all(env["hours_a"] < env["hours_b"] and env["time"].denominator == 1 for env in draws)
    assert set(counts[0]) == set(counts[1]) and len(counts[0]) == 31
    for count in counts:
        assert all(55 <= n <= 150 for n in count.values()), count  # 100 expected each
    assert rejecting.rejection_rate > 0.98


def test_an_empty_enumerated_space_is_unsatisfiable_naming_the_key():
    document = {"name": "never", "variables": {"a": {"int": [1, 9]}, "b": {"choice": [1, 2]}},
                "constraints": ["a > 20"], "steps": {"c": "a + b"}, "answer": "c", "questions": ["{{ a }}?"]}
    with pytest.raises(FamilyFileError, match=r"constraints\[0\]: unsatisfiable: no combination .* \(18 of 18"):
        family_from_document(copy.deepcopy(document), "test")


def test_templates_formatted_as_jinja_renders_them():
    """The `str.format` path of plain templates writes what the sandboxed jinja render writes."""
    for name in tasks.names():
        chosen = tasks.get(name)
        if not isinstance(chosen, family.DeclarativeFamily):
            continue
        sources = [t.source for t in chosen.templates()] + list(chosen.spec.step_text.values())
        for index in range(20):
            shown = chosen._shown(chosen.draw(random.Random(index)))
            for source in sources:
                assert family._renderer(source)(shown) == render_text(source, shown, ENV), source


numbers = st.one_of(st.integers(-50, 50).map(str),
                    st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda t: f"({t[0]}/{t[1]})"))


@st.composite
def arithmetic_text(draw, depth: int = 0):
    if depth > 3 or draw(st.booleans()):
        return draw(numbers)
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    return f"({draw(arithmetic_text(depth + 1))} {op} {draw(arithmetic_text(depth + 1))})"


@settings(max_examples=300, deadline=None)
@given(text=arithmetic_text())
def test_compiled_arithmetic_agrees_with_the_other_evaluator(text):
    """The compiled closures' integer and numerator/denominator paths against cotsynth's plain
    Fraction evaluator (core.arithmetic) on the same text."""
    try:
        expected = arithmetic.evaluate(text)
    except arithmetic.UnsafeExpression:
        with pytest.raises(EvalError):
            evaluate(parse(text), {})
        return
    value = evaluate(parse(text), {})
    assert value == expected
    assert type(value) is (int if expected.denominator == 1 else Fraction)


def test_same_is_equality_of_exact_values():
    assert same(Fraction(3, 4), Fraction(6, 8)) and same(3, 3) and same("a", "a")
    assert not same(Fraction(3, 4), Fraction(3, 5)) and not same(3, "3") and not same(1, Fraction(1, 2))


def test_preview_reports_the_sampler_and_the_rejection_rate():
    from click.testing import CliRunner

    from cotsynth.cli import main

    result = CliRunner().invoke(main, ["preview", "work_rates", "-n", "1", "--granularity", "answer"])
    assert result.exit_code == 0, result.output
    assert "enumerated sampling; the constraints reject 99.1% of draws" in result.output
