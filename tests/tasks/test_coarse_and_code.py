"""Coarse differs from fine, coarse steps verify, and `code` programs work the problem from its givens."""

import pytest

from cotsynth import tasks
from cotsynth.tasks.knobs import resolve_knobs
from cotsynth.traces.symbolic import render
from cotsynth.verify.sandbox import run_program
from cotsynth.traces.verify import verify_symbolic

KNOBS = {"arith": {"steps": [1, 6], "depth": [0, 2]}, "kg_compose": {"hops": [1, 5]}, "kg_compare": {"hops": [0, 2]}}


def _problems(name: str, n: int):
    family = tasks.get(name)
    settings = resolve_knobs(family.knobs, KNOBS.get(name, {}))
    return [family.build(17, name, i, settings, family.templates()) for i in range(n)]


@pytest.mark.parametrize("name", [n for n in tasks.names() if "coarse" in tasks.get(n).granularities])
def test_coarse_differs_from_fine_where_there_are_three_steps(name):
    problems = _problems(name, 200)
    long = [p for p in problems if len(p.graph.nodes) >= 3]
    same = [p for p in long if render(p, "coarse", "steps").cot_steps == render(p, "fine", "steps").cot_steps]
    assert len(same) <= 0.05 * len(long), (name, [p.question for p in same[:3]])
    for problem in problems[:60]:
        verdict = verify_symbolic(render(problem, "coarse", "steps"))
        assert verdict.verified, (name, problem.question, verdict.reason)
        assert all(len(s.node_ids) >= 1 for s in problem.graph.subgoals)


def test_arith_coarse_groups_the_last_single_operation_with_the_root():
    for problem in _problems("arith", 200):
        if len(problem.graph.nodes) >= 2:
            assert max(len(s.node_ids) for s in problem.graph.subgoals) >= 2, problem.question


@pytest.mark.parametrize("name", ["countdown", "linear_eq"])
def test_code_programs_derive_the_answer_from_the_givens(name):
    family = tasks.get(name)
    for problem in _problems(name, 8):
        program = problem.program
        assert "solve(" not in program and "det = " not in program
        if name == "countdown":
            assert program.count("= combine(") == len(problem.graph.nodes)  # one line per fine step
        else:
            given = problem.graph.nodes[0].attrs["equations"]
            assert program.count("\n    ([") == len(given)  # every equation, as given
        result = run_program(program, timeout_s=10)
        assert result.ok, result.reason
        assert family.score_answer(problem, result.stdout.strip().splitlines()[-1])
        # the program computes: corrupt one given number and it no longer prints a right answer
        broken = run_program(program.replace("numbers = [", "numbers = [1000 + ", 1) if name == "countdown"
                             else program.replace("equations = [", "equations = [([(1, [('1', '')])], [(1, [('0', '')])]), ", 1),
                             timeout_s=10)
        assert not (broken.ok and family.score_answer(problem, broken.stdout.strip().splitlines()[-1]))
