"""How a teacher's answer to one problem is graded, for family and dataset problems alike.

A family scores a prediction itself (`score_answer`) and labels steps against its step graph; a
dataset problem is scored by its gold's inferred type and its steps by their own claims
(`verify.claims`). A program (`format: program`) is run in the sandbox and what it prints last is
the prediction; a sandbox failure (timeout, memory, exception) is the sample's reason. A number's
answer must be worked out: `4 + 1` for "Find 4 + 1" equals the gold but restates the question
(SmolLM2-135M did exactly that, and equivalence alone accepted it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cotsynth import tasks
from cotsynth.core.arithmetic import parse_number
from cotsynth.sources.gold import answers_match
from cotsynth.tasks.base import Problem
from cotsynth.verify import extract_answer
from cotsynth.verify.claims import label_claims
from cotsynth.verify.step_labels import StepLabels, label_steps

PROGRAM_TIMEOUT_S = 5.0
PROGRAM_MEMORY_MB = 512
# The last-line fallback would read a missing final answer out of the last step: not for teachers.
EXTRACT = ("boxed", "final_answer", "answer_is", "answer_colon", "hashes")
# A format placeholder copied from the prompt (`\boxed{ANSWER}`) is no answer, not a wrong one.
_PLACEHOLDER = re.compile(r"^\s*(?:[<\[(]?\s*(?:your\s+|final\s+)?answer\s*[>\])]?|\.\.\.|…|\?+)\s*$", re.I)
# A sum, product, power or difference still to work out (a quotient may be a fraction: `3/4`).
_OPERATION = re.compile(r"[+*×÷^]|\\times|\\cdot|(?<=[\d)}])\s*-")
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S | re.I)


def final_answer(content: str | None) -> str | None:
    """The final answer a completion states, if it states one (placeholders are not answers)."""
    found = extract_answer(content, strategies=EXTRACT)
    return None if found is None or _PLACEHOLDER.match(found) else found


def unevaluated(problem: Problem, predicted: str | None) -> bool:
    """Whether a prediction for a numeric gold is an operation left to do rather than a number."""
    return predicted is not None and _OPERATION.search(predicted) is not None and parse_number(problem.answer) is not None


def score(problem: Problem, predicted: str | None) -> bool:
    if predicted is None or unevaluated(problem, predicted):
        return False
    if problem.from_dataset:
        return answers_match(problem.answer, predicted, problem.answer_type)[0]
    return tasks.get(problem.task).score_answer(problem, predicted)


def claim_labels(problem: Problem, steps: list[str]) -> StepLabels | None:
    """Exact step labels: against the graph for a family problem, by its own claims otherwise."""
    if not steps:
        return None
    return label_claims(steps) if problem.from_dataset else label_steps(problem.graph, steps)


def program_text(content: str) -> str:
    """The program in a completion: its last fenced block, else the whole completion."""
    blocks = _FENCE.findall(content)
    return (blocks[-1] if blocks else content).strip("\n") + "\n"


@dataclass(frozen=True)
class ProgramRun:
    code: str
    printed: str | None  # the last non-empty line of its output
    failure: str | None  # why no answer came out: the sandbox's reason


def run_program_answer(content: str) -> ProgramRun:
    from cotsynth.verify.sandbox import run_program

    code = program_text(content)
    if not code.strip():
        return ProgramRun(code, None, "no program in the completion")
    result = run_program(code, timeout_s=PROGRAM_TIMEOUT_S, memory_mb=PROGRAM_MEMORY_MB)
    if not result.ok:
        return ProgramRun(code, None, f"sandbox {result.status}: {result.reason}")
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if not lines:
        return ProgramRun(code, None, "sandbox: the program printed nothing")
    return ProgramRun(code, lines[-1][:500], None)
