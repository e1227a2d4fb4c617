"""Family files whose answer is text: a file written only in this test's dir runs end to end (every
granularity verified, the code run in the sandbox), text is checked exactly in the graph and as text
against a model's answer, a text step states its value, and every typing mistake exits 2 naming
its key."""

from __future__ import annotations

import copy

import pytest
import yaml

from cotsynth import tasks
from cotsynth.tasks.declarative import family_from_document
from cotsynth.traces.symbolic import render, structured_steps
from cotsynth.traces.verify import verify_symbolic

PARCEL = {
    "name": "parcel_label",
    "description": "the label of a parcel: its weight class, weight and city",
    "variables": {
        "sender": {"names": "people"},
        "city": {"choice": ["Oslo", "Lima", "Perth", "Kyoto"]},
        "weight": {"int": [1, 40]},
        "extra": {"int": [0, 9]},
        "limit": {"choice": [10, 20, 25]},
    },
    "constraints": ["weight + extra != limit"],
    "steps": {
        "total": "weight + extra",
        "size": "'heavy' if total > limit else 'light'",
        "code": "text(total) + '-' + city",
        "label": "size + ' parcel ' + code",
        "route": "nth(position(city, 'Oslo', 'Lima', 'Perth', 'Kyoto') % 2, 'north', 'south')",
        "line": "label + ', ' + route",
    },
    "answer": "line",
    "answer_type": "text",
    "units": {"total": "kg"},
    "questions": [
        "{{ sender }} sends {{ weight }} kg plus {{ extra }} kg of packing to {{ city }}; parcels over {{ limit }} kg "
        "are heavy. What does the label say?",
        {"id": "short", "text": "{{ weight }}+{{ extra }} kg to {{ city }}, limit {{ limit }}: label?"},
    ],
    "step_text": {"size": "{{ total }} kg against the {{ limit }} kg limit: the parcel is {{ size }}."},
}


pytestmark = pytest.mark.usefixtures("registry_restored")


def test_text_family_in_a_tmp_dir_runs_end_to_end(tmp_path, run_in_tmp):
    (tmp_path / "parcel.yaml").write_text(yaml.safe_dump(PARCEL, sort_keys=False))
    pipeline = {
        "name": "parcels", "seed": 3,
        "tasks": [{"family": "parcel.yaml", "count": 40}],
        "traces": [{"source": "symbolic", "granularity": ["answer", "coarse", "fine", "code"]}],
        "splits": {"strategy": "iid", "test_fraction": 0.2},
        "output": {"dir": str(tmp_path / "out"), "formats": ["sft", "rl"]},
    }
    data = run_in_tmp(pipeline)
    rows = [r for split in data.values() for r in split]
    assert {r["granularity"] for r in rows} == {"answer", "coarse", "fine", "code"}
    assert all(r["verified"] for r in rows) and all(r["answer_type"] == "text" for r in rows)
    fine = [r for r in rows if r["granularity"] == "fine"]
    for row in fine:
        size, _, rest = row["answer"].partition(" parcel ")
        assert size in ("heavy", "light") and rest.endswith((", north", ", south")), row["answer"]
        assert row["cot_steps"][-1].endswith(row["answer"])
    assert {"if", "concat", "nth"} <= set(fine[0]["atoms"])
    assert "concat>concat" in fine[0]["compounds"] and "add>if" in fine[0]["compounds"]


def test_text_answers_are_exact_in_the_graph_and_normalized_for_a_model():
    family = tasks.get("weekdays")
    problem = family.build(0, "t", 3, {}, family.templates())
    assert family.recompute_answer(problem.graph) == problem.answer
    assert family.score_answer(problem, f"  {problem.answer.lower()}. ")
    assert family.score_answer(problem, f'"{problem.answer.upper()}"')
    other = "Tuesday" if problem.answer != "Tuesday" else "Monday"
    assert not family.score_answer(problem, other)
    nodes = problem.graph.nodes
    nodes[-1] = type(nodes[-1])(**{**nodes[-1].__dict__, "output": other})
    assert not verify_symbolic(render(problem, "fine", "steps")).verified


def test_a_text_step_states_its_value_and_only_numbers_it_computes():
    family = family_from_document(copy.deepcopy(PARCEL), "test")
    problem = family.build(0, "t", 0, {}, family.templates())
    step = next(s for s in structured_steps(problem, "fine") if s.nodes == ("size",))
    total = problem.graph.node("total").output
    assert family.check_step(problem.graph, step.claim, step.nodes)[0]
    flipped = "light" if problem.graph.node("size").output == "heavy" else "heavy"
    assert not family.check_step(problem.graph, step.claim.replace(problem.graph.node("size").output, flipped),
                                 step.nodes)[0]
    wrong_number = step.claim.replace(f"{total} kg", f"{int(total) + 1} kg", 1)
    holds, reason = family.check_step(problem.graph, wrong_number, step.nodes)
    assert not holds and "its computation does not" in reason
    for coarse in structured_steps(problem, "coarse"):
        assert family.check_step(problem.graph, coarse.claim, coarse.nodes)[0], coarse.claim


TEXT_ERRORS = [
    (lambda d: d["steps"].update(total="weight + city"), "steps.total: 'city' is text, not a number (only + joins"),
    (lambda d: d["steps"].update(size="'heavy' if total > limit else 3"),
     "steps.size: `a if condition else b` mixes text and numbers"),
    (lambda d: d["steps"].update(size="'heavy' if total else 'light'"),
     "steps.size: the condition of `a if condition else b` must be a comparison"),
    (lambda d: d["steps"].update(code="text(city)"), "steps.code: 'city' is text, not a number"),
    (lambda d: d["steps"].update(route="nth(city, 'north', 'south')"), "steps.route: 'city' is text, not a number"),
    (lambda d: d["constraints"].append("city < 'P'"), "constraints[1]: 'city' is text, not a number"),
    (lambda d: d.update(answer="total"), "answer_type: text does not fit step 'total', which is a number"),
    (lambda d: d.update(answer_type="integer"), "answer_type: integer does not fit step 'line', which is a text"),
    (lambda d: d["units"].update(label="boxes"), "units.label: a text step takes no unit"),
    (lambda d: d["variables"].update(extra={"int": [0, "city"]}), "variables.extra.int: 'city' is text, not a number"),
    (lambda d: d["steps"].update(route="nth(9, 'north', 'south')"), "steps.route: unsatisfiable"),
    (lambda d: d["step_text"].update(size="The parcel is {{ size }}, {{ weight }} + 1 kg."),
     "step_text.size: a fine step does not verify"),
]


@pytest.mark.parametrize(("mutate", "expected"), TEXT_ERRORS, ids=[e[1].split(":")[0] + str(k)
                                                                  for k, e in enumerate(TEXT_ERRORS)])
def test_bad_text_family_exits_2_naming_the_key(preview_error, mutate, expected):
    assert expected in preview_error(PARCEL, mutate)
