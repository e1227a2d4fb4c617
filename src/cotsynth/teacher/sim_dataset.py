"""teacher-sim's answers to dataset problems, programs and rollout continuations.

A dataset problem has no step graph, so the sim words a short trace that ends in the gold: for a
numeric gold g, "one part is a", "a + b = g", "so the result is g" (a, b fixed per problem, so the
same step reads the same in every sample and a rollout prefix can be recognised). A wrong step
states a value off by e; from there on the error propagates to the final answer, as a real slip
would. A rollout request (a prefix of steps in the assistant turn) is continued from where it
stops: a prefix holding a wrong step leads to the wrong answer, a clean one to the gold unless a
new wrong step is drawn. Program requests get a program that prints the answer (or the wrong value).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from cotsynth.core.seeding import rng_for
from cotsynth.tasks.base import Problem
from cotsynth.core.arithmetic import format_fraction, parse_number

PROGRAM_MARKER = "python program"  # in a prompt that asks for a program (templates/teacher/program.j2)
_OPENERS = (("First,", "To start,", "We begin:"), ("Next,", "Then", "Now"), ("Finally,", "So", "Therefore"))
_NUMERIC = ("integer", "decimal", "rational")


@dataclass(frozen=True)
class Plan:
    """The fixed parts of one problem's simulated solution."""

    numeric: bool
    gold: Fraction | None
    part: Fraction | None  # a, with gold = a + b
    rest: int
    offset: int  # e: how far a wrong value is off
    openers: tuple[str, ...]


def plan(problem: Problem, seed: int) -> Plan:
    rng = rng_for("sim-dataset", seed, problem.id)
    gold = parse_number(problem.answer) if problem.answer_type in _NUMERIC else None
    rest = rng.randint(3, 9)
    offset = rng.choice((-2, -1, 1, 2, 10))
    openers = tuple(rng.choice(group) for group in _OPENERS)
    return Plan(gold is not None, gold, None if gold is None else gold - rest, rest, offset, openers)


def wrong_answer(problem: Problem, p: Plan) -> str:
    if p.numeric:
        return format_fraction(p.gold + p.offset)
    if problem.answer_type == "choice":
        letter = problem.answer.strip("()").upper()
        return chr((ord(letter) - ord("A") + 1) % 5 + ord("A"))
    if problem.answer_type == "text":
        return f"not {problem.answer}"
    return f"{problem.answer} + 1"


def lines(problem: Problem, p: Plan, wrong: int | None) -> tuple[list[str], str]:
    """(steps, final answer) of the trace with a wrong step at `wrong` (None: clean)."""
    if not p.numeric:
        value = wrong_answer(problem, p) if wrong is not None else problem.answer
        return [f"{p.openers[0]} the question asks for one value, which we work out in turn.",
                f"{p.openers[1]} working it through gives {value}."], value
    e = p.offset
    part = p.part + e if wrong == 0 else p.part
    result = p.gold + e if wrong is not None and wrong <= 1 else p.gold
    final = p.gold + e if wrong is not None else p.gold
    steps = [f"{p.openers[0]} one part of the result is {format_fraction(part)}.",
             f"{p.openers[1]} {format_fraction(part)} + {p.rest} = {format_fraction(result)}.",
             f"{p.openers[2]} the result is {format_fraction(final)}."]
    return steps, problem.answer if wrong is None else format_fraction(final)


def injectable(p: Plan) -> tuple[int, ...]:
    """The steps that can hold a wrong value (the non-numeric trace states its value in step 1)."""
    return (0, 1, 2) if p.numeric else (1,)


def first_wrong(problem: Problem, p: Plan, prefix: list[str]) -> int | None:
    """The first prefix step that is not the clean trace's step (None: the prefix is clean)."""
    clean, _ = lines(problem, p, None)
    return next((k for k, step in enumerate(prefix) if k >= len(clean) or step.strip() != clean[k]), None)


def continue_trace(problem: Problem, p: Plan, prefix: list[str], rng: random.Random,
                   p_wrong: float) -> tuple[list[str], str, int | None]:
    """The rest of a trace after `prefix`: (steps, final answer, wrong step index or None)."""
    wrong = first_wrong(problem, p, prefix)
    if wrong is None:
        choices = [k for k in injectable(p) if k >= len(prefix)]
        if choices and rng.random() < p_wrong:
            wrong = rng.choice(choices)
    steps, final = lines(problem, p, wrong)
    return steps[len(prefix):], final, wrong


def program(problem: Problem, p: Plan, wrong: bool) -> str:
    """A program printing the answer (or, when `wrong`, a wrong one)."""
    if p.numeric:
        part = p.part + p.offset if wrong else p.part
        literal = str(part.numerator) if part.denominator == 1 else f"Fraction({part.numerator}, {part.denominator})"
        header = "from fractions import Fraction\n\n" if part.denominator != 1 else ""
        return f"{header}part = {literal}\nrest = {p.rest}\nprint(part + rest)\n"
    value = wrong_answer(problem, p) if wrong else problem.answer
    return f"answer = {value!r}\nprint(answer)\n"
