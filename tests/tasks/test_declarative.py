"""Family files: the shipped ones verify in full, a user's file runs end to end, and every mistake in
a file exits 2 naming its key."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import yaml
from click.testing import CliRunner

from cotsynth import tasks
from cotsynth.cli import main
from cotsynth.resources import resource_dir
from cotsynth.tasks.declarative import DeclarativeFamily, family_from_document
from cotsynth.traces.symbolic import render, structured_steps
from cotsynth.traces.verify import verify_symbolic

SHIPPED = sorted(resource_dir("templates").joinpath("families").glob("*.yaml"))
NAMES = [yaml.safe_load(p.read_text())["name"] for p in SHIPPED]
ARITHMETIC_OPS = {"add", "sub", "mul", "div", "floordiv", "mod", "pow", "neg", "min", "max", "abs", "round",
                  "floor", "ceil", "value"}
TEXT_OPS = {"if", "nth", "position", "text", "concat"}

BOXES = {
    "name": "boxes_packed",
    "description": "boxes needed for a delivery, and the weight of one box",
    "variables": {
        "shop": {"choice": ["bakery", "florist", "bookshop"]},
        "items": {"int": [20, 200]},
        "per_box": {"int": [4, 12]},
        "weight": {"decimal": [0.5, 2.5], "places": 1},
        "spare": {"int": [0, "per_box - 1"]},
    },
    "constraints": ["items % per_box != 0 or spare > 0", "not (items < per_box)"],
    "steps": {
        "full": "items // per_box",
        "left": "items % per_box",
        "boxes": "full + min(left, 1)",
        "box_weight": "per_box * weight",
        "heaviest": "max(box_weight, 2 * weight)",
    },
    "answer": "boxes",
    "answer_type": "integer",
    "integer_steps": False,
    "units": {"boxes": "boxes", "box_weight": "kg"},
    "questions": [
        "The {{ shop }} packs {{ items }} items, {{ per_box }} to a box. How many boxes does it need?",
        {"id": "short", "text": "{{ items }} items, {{ per_box }} per box: how many boxes?"},
    ],
    "step_text": {"full": "{{ items }} // {{ per_box }} = {{ full }} full boxes."},
}


pytestmark = pytest.mark.usefixtures("registry_restored")


@pytest.mark.parametrize("name", NAMES)
def test_shipped_family_verifies_every_problem(name):
    """1,000 problems at every granularity that needs no subprocess verify, every step holds, and a
    step whose stated value is changed is caught (so the checks can fail)."""
    family = tasks.get(name)
    assert isinstance(family, DeclarativeFamily)
    assert len(family.templates()) >= 4
    assert set(family.spec.step_text) == set(family.spec.steps), "every step has its own wording"
    templates = family.templates()
    for index in range(1000):
        problem = family.build(0, name, index, {}, templates)
        assert problem.graph.complexity() == len(family.spec.steps)
        assert set(problem.graph.atoms()) <= ARITHMETIC_OPS | TEXT_OPS
        for granularity in ("answer", "coarse", "fine"):
            verdict = verify_symbolic(render(problem, granularity, "steps"))
            assert verdict.verified, (problem.question, granularity, verdict.reason)
        if index < 40:
            step = structured_steps(problem, "fine")[-1]
            if family.spec.answer_type == "text":  # the stated value is a text: state another one
                wrong = step.claim.replace(problem.answer, problem.answer + "ia")
            else:
                last = list(re.finditer(r"\d+(?:\.\d+)?", step.claim))[-1]
                wrong = f"{step.claim[:last.start()]}{float(last.group()) + 1:g}{step.claim[last.end():]}"
            assert not family.check_step(problem.graph, wrong, step.nodes)[0], wrong


@pytest.mark.parametrize("name", NAMES)
def test_shipped_family_code_runs_in_the_sandbox(name):
    family = tasks.get(name)
    for index in range(3):
        problem = family.build(1, name, index, {}, family.templates())
        verdict = verify_symbolic(render(problem, "code", "steps"))
        assert verdict.verified, (problem.program, verdict.reason)


def test_recomputation_ignores_stated_outputs():
    """A graph whose answer node states another value recomputes to the true one: recompute_answer
    works from each node's expression and givens, not from the outputs it is checking."""
    family = tasks.get("shopping_change")
    problem = family.build(0, "t", 0, {}, family.templates())
    nodes = problem.graph.nodes
    nodes[-1] = type(nodes[-1])(**{**nodes[-1].__dict__, "output": "999999"})
    assert family.recompute_answer(problem.graph) == problem.answer
    assert not verify_symbolic(render(problem, "fine", "steps")).verified


def test_family_in_a_tmp_dir_runs_end_to_end(tmp_path, run_in_tmp):
    """Only in this test's dir: a family file, a pipeline naming it by relative path and a second one
    found through `families_dir`; `cotsynth run` in a real process, then `datasets.load_dataset`."""
    (tmp_path / "families").mkdir()
    (tmp_path / "families" / "boxes.yaml").write_text(yaml.safe_dump(BOXES, sort_keys=False))
    second = copy.deepcopy(BOXES) | {"name": "boxes_again"}
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "again.yaml").write_text(yaml.safe_dump(second, sort_keys=False))
    pipeline = {
        "name": "boxes", "seed": 5, "families_dir": "more",
        "tasks": [{"family": "families/boxes.yaml", "count": 60}, {"family": "boxes_again", "count": 20}],
        "traces": [{"source": "symbolic", "granularity": ["answer", "coarse", "fine"]}],
        "splits": {"strategy": "iid", "test_fraction": 0.2},
        "output": {"dir": str(tmp_path / "out"), "formats": ["sft", "prm"]},
    }
    data = run_in_tmp(pipeline)
    rows = [r for split in data.values() for r in split]
    assert {r["task"] for r in rows} == {"boxes_packed", "boxes_again"}
    assert all(r["verified"] for r in rows)
    assert {r["template_id"] for r in rows} <= {"boxes_packed/q1", "boxes_packed/short", "boxes_again/q1",
                                                "boxes_again/short"}
    fine = next(r for r in rows if r["granularity"] == "fine" and r["task"] == "boxes_packed")
    given = json.loads(fine["knobs"])
    assert set(given) == {"items", "per_box", "weight", "spare"} and given["spare"] < given["per_box"]
    assert fine["atoms"] == ["add", "floordiv", "max", "mod", "mul"]
    assert "mod>min" not in fine["compounds"] and "floordiv>add" in fine["compounds"]
    assert fine["cot_steps"][0].endswith("full boxes.")
    prm = datasets.load_dataset(str(tmp_path / "out"), "prm", cache_dir=str(tmp_path / "hf-cache"))
    assert all(all(labels) for labels in prm["train"]["labels"])


ERRORS = [
    (lambda d: d["steps"].update(full="items // per_bx"), "steps.full: undefined variable 'per_bx'"),
    (lambda d: d["steps"].update(full="full + 1"), "steps.full: cyclic reference"),
    (lambda d: d["steps"].update(full="left + items"), "steps.full: forward reference to step 'left'"),
    (lambda d: d["steps"].update(full="sqrt(items)"), "steps.full: unknown function 'sqrt'"),
    (lambda d: d["steps"].update(full="__import__('os')"), "steps.full: unknown function '__import__'"),
    (lambda d: d["steps"].update(full="().__class__"), "steps.full: disallowed syntax: Attribute"),
    (lambda d: d["steps"].update(full="items.real"), "steps.full: disallowed syntax: Attribute"),
    (lambda d: d["steps"].update(full="shop * 2"), "steps.full: 'shop' is text, not a number"),
    (lambda d: d["steps"].update(full="items > 2"), "steps.full: a condition is not a number"),
    (lambda d: d["questions"].append("{{ itemz }} items"), "questions[2]: template uses unknown variable 'itemz'"),
    (lambda d: d["questions"].append("{{ ''.__class__.__mro__ }}"), "questions[2]: cannot be rendered: SecurityError"),
    (lambda d: d["step_text"].update(full="{{ boxes }} boxes"), "step_text.full: template uses 'boxes', a step computed later"),
    (lambda d: d["step_text"].update(full="{{ full }} boxes, {{ items }} items"), "step_text.full: a fine step does not verify"),
    (lambda d: d["constraints"].append("items > 1000"), "constraints[2]: unsatisfiable"),
    (lambda d: d["constraints"].append("items"), "constraints[2]: 'items' is not a condition"),
    (lambda d: d["variables"].update(weight={"decimal": [0.5, 2.5], "place": 1}), "variables.weight.place: unknown option"),
    (lambda d: d["variables"].update(spare={"int": [0, "boxes"]}), "variables.spare.int: undefined variable 'boxes'"),
    (lambda d: d["variables"].update(who={"names": "aliens"}), "variables.who.names: unknown name list 'aliens'"),
    (lambda d: d.update(answer_type="complex"), "answer_type: expected integer, rational, decimal(places) or text"),
    (lambda d: d.update(integer_steps=True) or d["steps"].update(box_weight="per_box * weight + 0.05"),
     "steps.box_weight: unsatisfiable"),
    (lambda d: d.update(answer="items"), "answer: 'items' is not a step"),
    (lambda d: d.update(name="arith"), "name: 'arith' is already a built-in family"),
    (lambda d: d.update(colour="red"), "colour: unknown key"),
    (lambda d: d.pop("questions"), "questions: missing"),
]


@pytest.mark.parametrize(("mutate", "expected"), ERRORS, ids=[e[1].split(":")[0] + str(k) for k, e in enumerate(ERRORS)])
def test_bad_family_file_exits_2_naming_the_key(preview_error, mutate, expected):
    assert expected in preview_error(BOXES, mutate)


def test_bad_family_in_a_pipeline_names_the_file_and_key(tmp_path, tiny_config, write_yaml):
    document = copy.deepcopy(BOXES)
    document["steps"]["full"] = "items // nothing"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    tiny_config["tasks"] = [{"family": "bad.yaml", "count": 5}]
    process = subprocess.run(
        [sys.executable, "-m", "cotsynth.cli", "run", str(write_yaml(tiny_config)), "--executor", "local"],
        capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == 2
    assert "tasks[0].family:" in process.stderr and "bad.yaml: steps.full: undefined variable 'nothing'" in process.stderr
    assert "Traceback" not in process.stderr


def test_preview_and_tasks_list_a_file(tmp_path):
    path = tmp_path / "boxes.yaml"
    path.write_text(yaml.safe_dump(BOXES, sort_keys=False))
    result = CliRunner().invoke(main, ["preview", str(path), "-n", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count("NOT verified") == 0 and result.output.count("verified") == 8
    listing = CliRunner().invoke(main, ["tasks", str(tmp_path)])
    assert listing.exit_code == 0, listing.output
    assert "boxes_packed (file" in listing.output
    assert "shopping_change (shipped shopping.yaml)" in listing.output
    assert "arith (built-in)" in listing.output


def test_same_document_same_problems_and_hash():
    """A family is seeded like any other: equal documents give equal problems; the config's hash
    covers the document, so an edited family is a different run."""
    from cotsynth.config import parse_config

    def config(document):
        return parse_config({"name": "x", "families": {"boxes_packed": document},
                             "tasks": [{"family": "boxes_packed", "count": 3}],
                             "traces": [{"source": "symbolic"}], "output": {"dir": "o"}})

    first, again = family_from_document(BOXES, "inline"), family_from_document(copy.deepcopy(BOXES), "inline")
    problems = [f.build(9, "k", i, {}, f.templates()) for f in (first, again) for i in range(5)]
    assert [p.question for p in problems[:5]] == [p.question for p in problems[5:]]
    edited = copy.deepcopy(BOXES)
    edited["variables"]["items"] = {"int": [20, 300]}
    assert config(BOXES).hash() != config(edited).hash()
    assert config(BOXES).hash() == config(copy.deepcopy(BOXES)).hash()


def test_word_problems_pipeline_is_valid():
    from cotsynth.config import load_config

    config = load_config(resource_dir("pipelines") / "word_problems.yaml")
    numeric = {n for n in NAMES if tasks.get(n).answer_type != "text"}  # the eight GSM-style families
    assert {t.family for t in config.tasks} == numeric and len(numeric) == 8
    assert config.splits.strategy == "heldout_templates"
    assert Path(resource_dir("pipelines") / "word_problems.yaml").is_file()
