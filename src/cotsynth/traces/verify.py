"""Verification of symbolic traces against the step graph they were rendered from.

The answer is recomputed from the graph by the family's independent solver (sympy for arithmetic),
and every stated step is checked on its own (an arithmetic step must hold exactly and agree with
its graph node). A trace is verified only if both hold. A `code` trace is verified by running its
program in the sandbox and scoring the last line it prints as the answer; it has no step labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from cotsynth.tasks import get
from cotsynth.tasks.base import Problem
from cotsynth.traces.symbolic import Trace

PROGRAM_TIMEOUT_S = 10.0


@dataclass
class TraceVerdict:
    verified: bool
    step_labels: list[bool] | None
    method: str
    reason: str


def recompute_answer(problem: Problem) -> str:
    """The answer recomputed from the problem's graph by its family's independent solver."""
    return get(problem.task).recompute_answer(problem.graph)


def verify_symbolic(trace: Trace, recomputed: str | None = None) -> TraceVerdict:
    """`recomputed`: the problem's `recompute_answer`, when the caller has it (its other traces)."""
    problem = trace.problem
    family = get(problem.task)
    if recomputed is None:
        recomputed = recompute_answer(problem)
    if recomputed != problem.answer:
        return TraceVerdict(False, None, "graph_recompute", f"answer {problem.answer} != recomputed {recomputed}")
    if trace.granularity == "code":
        return _verify_program(trace)
    if not trace.steps:
        return TraceVerdict(True, None, "graph_recompute", "answer recomputed from graph")
    labels, first_failure = [], ""
    for number, step in enumerate(trace.steps, start=1):
        holds, reason = family.check_step(problem.graph, step.claim, step.nodes)
        labels.append(holds)
        if not holds and not first_failure:
            first_failure = f"step {number}: {reason}"
    if first_failure:
        return TraceVerdict(False, labels, "graph_recompute+steps", first_failure)
    return TraceVerdict(True, labels, "graph_recompute+steps", f"answer recomputed; {len(labels)} steps hold")


def _verify_program(trace: Trace) -> TraceVerdict:
    from cotsynth.verify.sandbox import run_program

    problem = trace.problem
    if not trace.cot.strip():
        return TraceVerdict(False, None, "sandbox", "no program")
    result = run_program(trace.cot, timeout_s=PROGRAM_TIMEOUT_S, trusted=True)  # rendered by cotsynth
    if not result.ok:
        return TraceVerdict(False, None, "sandbox", f"program failed: {result.reason}")
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if not lines:
        return TraceVerdict(False, None, "sandbox", "program printed nothing")
    if not get(problem.task).score_answer(problem, lines[-1]):
        return TraceVerdict(False, None, "sandbox", f"program printed {lines[-1][:100]!r}, answer is {problem.answer}")
    return TraceVerdict(True, None, "graph_recompute+sandbox", "answer recomputed; program prints it")
