"""Verification of every rendered trace against the step graph it came from (`traces.verify`)."""

from __future__ import annotations

from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.traces.verify import verify_symbolic


class VerifyTraces:
    name = "verify"
    needs = Needs()

    def run(self, work: UnitWork) -> None:
        work.verified = [[(trace, verify_symbolic(trace)) for trace in traces] for traces in work.rendered]


register("verify", lambda config, workers: [VerifyTraces()])
