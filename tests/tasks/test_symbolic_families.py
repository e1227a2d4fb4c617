"""Properties of the symbolic families: kg_compose, kg_compare, two_hop, rewrite, sort, list_ops, scan.

For random knobs and seeds: the answer recomputed from the graph alone equals the stated one, every
fine and coarse step holds on its own (and a corrupted one does not), generation is deterministic per
(seed, index), and raising a difficulty knob never lowers the mean node count.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cotsynth import tasks
from cotsynth.config import load_config
from cotsynth.resources import resource_dir
from cotsynth.tasks.base import Problem
from cotsynth.tasks.knobs import resolve_knobs
from cotsynth.traces.symbolic import render
from cotsynth.traces.verify import verify_symbolic

FAMILIES = ("kg_compose", "kg_compare", "two_hop", "rewrite", "sort", "list_ops", "scan")


def subset(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True)


def kg_sizes() -> dict[str, st.SearchStrategy[Any]]:
    return {"entities": st.integers(10, 300), "relations": st.integers(1, 40), "kg_seed": st.integers(0, 3)}


KNOBS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "kg_compose": st.fixed_dictionaries(kg_sizes() | {
        "hops": st.integers(1, 5), "phi": st.floats(0.01, 20.0), "atomic": st.integers(0, 100)}),
    "kg_compare": st.fixed_dictionaries(kg_sizes() | {
        "hops": st.integers(0, 3), "form": subset(("yes_no", "which", "three_way")), "atomic": st.integers(0, 100),
        "attributes": subset(("birth_year", "height_cm", "salary", "chess_rating", "books_read"))}),
    "two_hop": st.fixed_dictionaries({
        "tokens": st.integers(4, 5000), "ambiguous": st.integers(0, 100), "table_seed": st.integers(0, 5)}),
    "rewrite": st.fixed_dictionaries({
        "alphabet": st.integers(2, 6), "rules": st.integers(1, 8), "length": st.integers(1, 20),
        "max_steps": st.integers(1, 40), "rule_sets": st.integers(1, 1000), "rule_seed": st.integers(0, 3),
        "domain": subset(("formal", "natural", "code"))}),
    "sort": st.fixed_dictionaries({
        "length": st.integers(1, 30), "max_value": st.integers(1, 1000),
        "order": subset(("ascending", "descending")), "method": subset(("selection", "insertion"))}),
    "list_ops": st.fixed_dictionaries({
        "length": st.integers(1, 12), "chain": st.integers(1, 5),
        "ops": subset(("reverse", "running_sum", "add", "multiply")), "max_value": st.integers(1, 100)}),
    "scan": st.fixed_dictionaries({
        "conjunctions": st.integers(0, 4), "primitives": subset(("walk", "look", "run", "jump")),
        "modifiers": subset(("left", "right", "opposite", "around", "twice", "thrice")),
        "connectives": subset(("and", "after"))}),
}


def build(family: str, knobs: dict[str, Any], seed: int = 0, index: int = 0) -> Problem:
    chosen = tasks.get(family)
    return chosen.build(seed, family, index, resolve_knobs(chosen.knobs, knobs), chosen.templates())


def corrupt(claim: str, output: str) -> str:
    """The claim with its stated value changed: what an injected error looks like."""
    head, found, tail = claim.rpartition(output)
    if not found:
        return claim + " Also 1 = 2."
    changed = output[:-1] + str((int(output[-1]) + 1) % 10) if output[-1:].isdigit() else "Zed" + output
    return head + changed + tail


@pytest.mark.parametrize("family", FAMILIES)
def test_registered_with_templates_and_documented_knobs(family: str) -> None:
    chosen = tasks.get(family)
    assert len(chosen.templates()) >= 4
    for name, knob in chosen.knobs.items():
        assert knob.doc and knob.validate(knob.default) == knob.default, name


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_answer_recomputes_and_every_step_holds(family: str, data: st.DataObject) -> None:
    knobs = data.draw(KNOBS[family])
    seed, index = data.draw(st.integers(0, 2**20)), data.draw(st.integers(0, 10**6))
    chosen = tasks.get(family)
    assume(not chosen.knob_problems(resolve_knobs(chosen.knobs, knobs), index + 1))  # a config error, not a problem
    problem = build(family, knobs, seed, index)
    assert chosen.recompute_answer(problem.graph) == problem.answer
    assert problem.answer and problem.question
    assert problem.graph.complexity() == len(problem.graph.nodes) >= 1
    assert problem.graph.atoms() and problem.answer_type in {"integer", "rational", "boolean", "string", "entity",
                                                             "list", "sequence"}
    for granularity in chosen.granularities:
        if granularity == "code":
            continue
        trace = render(problem, granularity, data.draw(st.sampled_from(("steps", "least_to_most", "self_ask"))))
        verdict = verify_symbolic(trace)
        assert verdict.verified, (granularity, verdict.reason, trace.cot)
        for step in trace.steps:
            holds, _ = chosen.check_step(problem.graph, corrupt(step.claim, step.output), step.nodes)
            assert not holds, (granularity, step.claim)


@pytest.mark.parametrize("family", FAMILIES)
def test_deterministic_per_seed_and_index(family: str) -> None:
    first = [build(family, {}, seed=5, index=i) for i in range(20)]
    again = [build(family, {}, seed=5, index=i) for i in range(20)]
    assert [(p.id, p.question, p.answer, p.graph.to_json()) for p in first] == \
        [(p.id, p.question, p.answer, p.graph.to_json()) for p in again]
    assert len({p.question for p in first}) > 10
    assert build(family, {}, seed=6, index=0).id != first[0].id


@pytest.mark.parametrize("family,knob,values,fixed", [
    ("kg_compose", "hops", [1, 2, 4], {}),
    ("kg_compare", "hops", [0, 1, 3], {}),
    ("two_hop", "tokens", [10, 1000], {}),
    ("rewrite", "max_steps", [2, 8, 30], {"length": 12}),
    ("rewrite", "length", [2, 6, 15], {"max_steps": 100}),
    ("sort", "length", [2, 8, 30], {}),
    ("list_ops", "chain", [1, 3, 5], {}),
    ("list_ops", "length", [2, 5, 10], {}),
    ("scan", "conjunctions", [0, 1, 3], {}),
])
def test_raising_difficulty_never_lowers_mean_node_count(family: str, knob: str, values: list[int],
                                                         fixed: dict[str, Any]) -> None:
    means = [sum(build(family, fixed | {knob: v}, seed=3, index=i).graph.complexity() for i in range(40)) / 40
             for v in values]
    assert means == sorted(means), means


@pytest.mark.parametrize("family", FAMILIES)
def test_every_template_renders(family: str) -> None:
    chosen = tasks.get(family)
    for template in chosen.templates():
        for index in range(3):
            problem = chosen.build(1, family, index, resolve_knobs(chosen.knobs, {}), (template,))
            assert problem.template_id == template.id and "{{" not in problem.question and problem.question


def test_kg_is_shared_and_phi_bounds_distinct_composed_facts() -> None:
    knobs = {"entities": 50, "relations": 4, "hops": 2, "phi": 0.05}  # pool: round(0.05 * 200) = 10 facts
    problems = [build("kg_compose", knobs, index=i) for i in range(200)]
    chains = {(p.graph.nodes[0].inputs[0], tuple(n.op for n in p.graph.nodes)) for p in problems}
    assert len(chains) <= 10
    wide = {build("kg_compose", knobs | {"phi": 50.0}, index=i).question for i in range(200)}
    assert len(wide) > 100
    # atomic facts: one hop, and the same fact wherever it appears
    atoms = [build("kg_compose", {"entities": 50, "relations": 4, "atomic": 100}, index=i) for i in range(50)]
    assert all(p.graph.complexity() == 1 and p.knobs["hops"] == 1 for p in atoms)


def test_kg_compare_answer_types_follow_the_form() -> None:
    yes_no = build("kg_compare", {"form": "yes_no"})
    which = build("kg_compare", {"form": "which"})
    assert yes_no.answer_type == "boolean" and yes_no.answer in {"yes", "no"}
    assert which.answer_type == "entity" and which.answer in which.graph.node("c").attrs["people"]


def test_kg_compare_three_way_and_atomic_facts() -> None:
    three = [build("kg_compare", {"form": "three_way"}, index=i) for i in range(60)]
    assert {p.answer for p in three} == {"<", "=", ">"} and all(p.answer_type == "string" for p in three)
    ties = [p for p in three if p.answer == "="]
    assert all(len({n.output for n in p.graph.nodes[:2]}) == 1 for p in ties)
    facts = [build("kg_compare", {"atomic": 100}, index=i) for i in range(20)]
    assert all(p.graph.complexity() == 1 and p.answer_type == "integer" and p.answer.isdigit() for p in facts)
    assert all(p.question.endswith("?") and p.graph.nodes[0].inputs[0] in p.question for p in facts)
    assert tasks.get("kg_compare").entities(facts[0].graph) == [facts[0].graph.nodes[0].inputs[0]]


def test_two_hop_ambiguity_reuses_x2() -> None:
    problem = build("two_hop", {"ambiguous": 100})
    first, second = problem.graph.nodes
    assert second.inputs[1] == first.inputs[1] and problem.knobs["path_ambiguous"] == 1


def test_rewrite_rule_sets_control_instruction_diversity() -> None:
    def rule_sets(count: int) -> set[str]:
        return {repr(build("rewrite", {"rule_sets": count, "rules": 4}, index=i).graph.nodes[-1].attrs["rules"])
                for i in range(50)}

    few, many = rule_sets(1), rule_sets(10**6)
    assert len(few) == 1 and len(many) > 40


@pytest.mark.parametrize("command,actions", [
    ("jump twice after walk left", "LTURN WALK JUMP JUMP"),
    ("turn around right", "RTURN RTURN RTURN RTURN"),
    ("walk opposite left and look thrice", "LTURN LTURN WALK LOOK LOOK LOOK"),
    ("run around left twice", " ".join(["LTURN RUN"] * 8)),
    ("walk and jump after run", "RUN WALK JUMP"),
])
def test_scan_semantics(command: str, actions: str) -> None:
    from cotsynth.tasks.families.scan import interpret

    assert " ".join(interpret(command)) == actions


def test_list_ops_program_prints_the_answer() -> None:
    for index in range(3):
        problem = build("list_ops", {"chain": 4}, index=index)
        out = subprocess.run([sys.executable, "-c", problem.program], capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == problem.answer


@pytest.mark.parametrize("name", ["granularity", "two_hop_coverage", "kg_hops", "instruction_diversity"])
def test_research_pipelines_validate(name: str) -> None:
    config = load_config(resource_dir("pipelines") / f"{name}.yaml")
    assert config.tasks
