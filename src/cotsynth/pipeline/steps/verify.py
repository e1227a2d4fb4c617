"""Verification of every rendered trace against the step graph it came from (`traces.verify`)."""

from __future__ import annotations

from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.traces.verify import recompute_answer, verify_symbolic


class VerifyTraces:
    name = "verify"
    needs = Needs()

    def run(self, work: UnitWork) -> None:
        work.verified = []
        for problem, traces in zip(work.problems, work.rendered):
            answer = recompute_answer(problem) if traces else None  # its traces share it: computed once
            work.verified.append([(trace, verify_symbolic(trace, answer)) for trace in traces])


register("verify", lambda config, workers: [VerifyTraces()])
