"""Verification of every rendered trace against the step graph it came from (`traces.verify`)."""

from __future__ import annotations

from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.traces.symbolic import Trace
from cotsynth.traces.verify import TraceVerdict, recompute_answer, verify_symbolic


class VerifyTraces:
    name = "verify"
    needs = Needs()

    def run(self, work: UnitWork) -> None:
        work.verified = [self._verify(traces) for traces in work.rendered]

    @staticmethod
    def _verify(traces: list[Trace]) -> list[tuple[Trace, TraceVerdict]]:
        """One problem's traces: its answer is recomputed from the graph once, not once per trace."""
        recomputed: dict[int, str] = {}
        pairs = []
        for trace in traces:
            problem = trace.problem
            if id(problem) not in recomputed:
                recomputed[id(problem)] = recompute_answer(problem)
            pairs.append((trace, verify_symbolic(trace, recomputed[id(problem)])))
        return pairs


register("verify", lambda config, workers: [VerifyTraces()])
