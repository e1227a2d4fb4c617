"""Error-injected negatives for the families with their own error model (sort, scan, poly, linear_eq,
modular, multiply, list_ops, kg_compare) and for decimal family files (mixtures): one error at the
recorded step, the checker rejects exactly that step first, later steps follow from the wrong value,
the answer is wrong, the records go to prm and never to sft, and the same seed gives the same bytes."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cotsynth import tasks
from cotsynth.output.views.registry import ViewOptions
from cotsynth.output.views.sft import in_sft
from cotsynth.tasks.knobs import resolve_knobs
from cotsynth.traces.error_models import error_model
from cotsynth.traces.negatives import negative_traces, negative_verdict
from cotsynth.traces.symbolic import render

FAMILIES = ("sort", "scan", "poly", "linear_eq", "modular", "multiply", "list_ops", "kg_compare", "mixtures",
            "weekdays", "savings_race")  # the last three are family files: decimal, and two with text steps
KNOBS = {"kg_compare": {"hops": [0, 2], "form": ["yes_no", "which", "three_way"]},
         "poly": {"op": ["expand", "evaluate", "differentiate"]}}


def problems(family: str, seed: int, count: int) -> list:
    found = tasks.get(family)
    settings_ = resolve_knobs(found.knobs, KNOBS.get(family, {}))
    return [found.build(seed, family, i, settings_, found.templates()) for i in range(count)]


def later_steps_follow(family: str, problem, wrong, step: int) -> None:
    """Every step after the error follows from the wrong values before it. By default the family's
    checker, given the wrong graph, accepts it; where a checker restates the problem itself (a
    partial product, an assembled polynomial, a sort of the given list, a phrase's translation, a
    comparison of the people asked about), the step is recomputed here from its wrong inputs."""
    found = tasks.get(family)
    for node in wrong.nodes[step + 1:]:
        inputs = tuple(wrong.resolve(i) for i in node.inputs)
        special = _RECOMPUTE.get((family, node.op)) or _RECOMPUTE.get((family, "*"))
        if special is not None:
            assert special(problem, wrong, node, inputs), node.text
        else:
            holds, reason = found.check_step(wrong, node.text, (node.id,))
            assert holds, f"{node.text}: {reason}"


def _scan(problem, wrong, node, inputs):
    from cotsynth.traces.error_models.scan import _translate

    return node.output == " ".join(_translate(node.op, inputs))


def _sorted_move(problem, wrong, node, inputs):
    from cotsynth.tasks.families.sort import _insert, read, show

    before = read(inputs[0])
    if node.op == "insert":
        return node.output == show(_insert(before, int(inputs[1]), node.attrs["descending"]))
    return node.output == show(before + [(max if node.op == "select_max" else min)(read(inputs[1]))])


def _linear(problem, wrong, node, inputs):
    """The equation holds at the wrong solution the trace reaches."""
    from cotsynth.tasks.polynomials import parse_equation

    names = tuple(problem.graph.nodes[0].attrs["variables"])
    point = dict(zip(names, (Fraction(v) for v in error_model("linear_eq").answer(wrong).strip("()").split(", "))))
    return sum(c * (point[names[m.index(1)]] if any(m) else 1)
               for m, c in parse_equation(node.output, names).items()) == 0


def _partial(problem, wrong, node, inputs):
    """The partial product is read off the written digits of its row."""
    digits = [wrong.node(i[1:]).attrs["written"] for i in node.inputs]
    return int("".join(reversed(digits))) * 10 ** node.attrs["shift"] == int(node.output)


def _assembled(problem, wrong, node, inputs):
    from cotsynth.tasks.polynomials import parse_poly
    from cotsynth.traces.error_models.poly import _total

    return parse_poly(node.output, ("x",)) == _total([parse_poly(i, ("x",)) for i in inputs])


def _listed(problem, wrong, node, inputs):
    """The list an operation states is its element steps' values (the reverse of its input)."""
    from cotsynth.tasks.families.list_ops import read, show

    elements = [int(i) for i in inputs[1:]]
    expected = {"reverse": lambda: read(inputs[0])[::-1], "running_sum": lambda: read(inputs[0])[:1] + elements}
    return node.output == show(expected.get(node.op, lambda: elements)())


def _compared(problem, wrong, node, inputs):
    from cotsynth.tasks.families.kg_compare import verdict
    from cotsynth.tasks.kg import attribute

    people = tuple(wrong.resolve(wrong.node(ref[1:]).inputs[0]) for ref in node.inputs)
    return node.output == verdict(attribute(node.attrs["attribute"]), tuple(int(i) for i in inputs), people,
                                  node.attrs["word"], node.attrs["form"])


def _expression(problem, wrong, node, inputs):
    """A family file's step: its expression over the givens and the wrong values of earlier steps."""
    from cotsynth.tasks.declarative.expr import evaluate, number, show
    from cotsynth.tasks.declarative.family import parse_cached

    def value(text, is_text):
        return text if is_text else number(text)

    texts = node.attrs.get("text", ())
    env = {n: value(v, n in texts) for n, v in node.attrs["given"].items()}
    env |= {n.id: value(n.output, n.id in n.attrs.get("text", ())) for n in wrong.nodes}
    return node.output == show(evaluate(parse_cached(node.attrs["expr"]), env)) and node.output in node.text


_RECOMPUTE = {("scan", "*"): _scan, ("mixtures", "*"): _expression, ("weekdays", "*"): _expression,
              ("savings_race", "*"): _expression, ("sort", "*"): _sorted_move, ("linear_eq", "*"): _linear,
              ("multiply", "partial_product"): _partial, ("poly", "assemble"): _assembled,
              ("kg_compare", "compare"): _compared,
              **{("list_ops", op): _listed for op in ("reverse", "running_sum", "add_each", "multiply_each")}}


@pytest.mark.parametrize("family", FAMILIES)
def test_a_negative_is_wrong_exactly_at_its_step(family):
    found = tasks.get(family)
    kinds = set()
    made = 0
    for problem in problems(family, 3, 40):
        right = render(problem, "fine", "steps")
        for trace in negative_traces(problem, "steps", 2, seed=11):
            made += 1
            step, kind = trace.meta["error"]["step"], trace.meta["error"]["kind"]
            kinds.add(kind)
            assert kind in error_model(family, problem.graph).kinds
            assert trace.cot_steps[:step] == right.cot_steps[:step] and trace.cot_steps[step] != right.cot_steps[step]
            verdicts = [found.check_step(problem.graph, s.claim, s.nodes)[0] for s in trace.steps[: step + 1]]
            assert verdicts == [True] * step + [False]
            assert not found.score_answer(problem, trace.meta["predicted_answer"])
            verdict = negative_verdict(trace)
            assert not verdict.verified and verdict.step_labels == [k < step for k in range(len(trace.steps))]
            wrong = _graph_of(trace)
            later_steps_follow(family, problem, wrong, step)
    assert made >= 40 and len(kinds) >= 2, (made, kinds)


def _graph_of(trace):
    """The wrong graph a negative was rendered from (its steps name its nodes)."""
    from cotsynth.traces.negatives import inject

    injected = inject(trace.problem, trace.sample_index, 11, _used_before(trace))
    assert injected is not None and injected.step == trace.meta["error"]["step"]
    return injected.graph


def _used_before(trace) -> set:
    earlier = negative_traces(trace.problem, "steps", trace.sample_index - 1, seed=11)
    return {(t.meta["error"]["step"], t.meta["error"]["kind"]) for t in earlier}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(FAMILIES), seed=st.integers(0, 10**6), index=st.integers(0, 10**4))
def test_negatives_are_deterministic_and_never_sft(family, seed, index):
    found = tasks.get(family)
    problem = found.build(seed, family, index, resolve_knobs(found.knobs, KNOBS.get(family, {})), found.templates())
    first = negative_traces(problem, "steps", 2, seed)
    again = negative_traces(problem, "steps", 2, seed)
    assert [(t.cot, json.dumps(t.meta, sort_keys=True)) for t in first] == \
        [(t.cot, json.dumps(t.meta, sort_keys=True)) for t in again]
    for trace in first:
        record = {"verified": negative_verdict(trace).verified, "source": trace.source}
        assert not in_sft(record, True, ViewOptions(include_unverified=True))


def test_decimal_slips_are_written_as_the_family_writes_decimals():
    """mixtures (answer type decimal): a carry slip moves a value by a power of ten no finer than the
    step's own decimals, and every wrong value is written as the family writes values (`show`)."""
    from cotsynth.tasks.declarative.expr import number, show

    kinds, decimals = set(), 0
    for problem in problems("mixtures", 5, 60):
        for trace in negative_traces(problem, "steps", 3, seed=2):
            step, kind = trace.meta["error"]["step"], trace.meta["error"]["kind"]
            kinds.add(kind)
            right, stated = problem.graph.nodes[step].output, trace.steps[step].output
            assert stated == show(number(stated)) and stated in trace.steps[step].claim
            decimals += "." in stated
            if kind == "carry_slip":
                moved = abs(number(stated) - number(right))
                assert any(moved == Fraction(10) ** e for e in range(-6, 7)), (right, stated)
                assert moved * 10 ** max(len(v.partition(".")[2]) for v in (right, stated)) >= 1
    assert {"carry_slip", "operand_misread", "sign_error"} <= kinds and decimals > 20
