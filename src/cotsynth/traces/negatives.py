"""Error-injected negatives: a fine trace with ONE realistic mistake at one step, for process supervision.

A process reward model needs wrong steps to learn from, and symbolic traces are right by
construction. A negative copies the problem's fine trace, makes one step wrong in a way its family's
error model names (traces/error_models/: a carry slip, a misread operand, a wrong fact recalled...),
then recomputes every later step from the wrong value (with the node's own operation, or by running
the family's method on from the wrong state), so the error propagates and the final answer is wrong
too, as it would be in a model's trace.

Labels: the steps before the error are the correct trace's, True; the injected step and every step
after it are False (the trajectory can no longer reach the answer; Math-Shepherd's labelling). The
injected step must also be the first step the family's step checker rejects against the true graph;
a site where it is not (a slip that happens to restate a right value) is not used. Everything is
drawn from a generator seeded by (seed, problem id, negative index), so runs are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cotsynth.core.seeding import rng_for
from cotsynth.tasks import get
from cotsynth.tasks.base import Problem
from cotsynth.core.graph import StepGraph
from cotsynth.traces.error_models import error_model
from cotsynth.traces.symbolic import Trace, render
from cotsynth.traces.verify import TraceVerdict

SOURCE = "negative"
ATTEMPTS = 24  # (step, kind) draws per negative before the problem is declared to have no site


@dataclass(frozen=True)
class Injected:
    graph: StepGraph  # the problem's graph with the wrong values and texts
    step: int  # index of the wrong step (fine granularity: one step per node)
    kind: str
    predicted: str  # the wrong answer it reaches


def supports_negatives(family: str, sample: Problem | None = None) -> bool:
    """Whether negatives can be injected into a family's traces (`sample` decides for the generic
    arithmetic model, which depends on the graph's operations)."""
    return error_model(family, sample.graph if sample else None) is not None


def inject(problem: Problem, index: int, seed: int, exclude: set[tuple[int, str]] | None = None) -> Injected | None:
    """Negative number `index` of a problem, or None when no step can carry an error that its
    checker sees first. Distinct negatives of one problem avoid each other's (step, kind)."""
    graph = problem.graph
    model = error_model(problem.task, graph)
    if model is None or not graph.nodes:
        return None
    rng = rng_for(seed, problem.id, "negative", index)
    family = get(problem.task)
    sites = [(k, kind) for k in range(len(graph.nodes)) for kind in model.kinds if (k, kind) not in (exclude or set())]
    rng.shuffle(sites)
    for step, kind in sites[:ATTEMPTS]:
        wrong = model.propagate(graph, step, kind, rng)
        if wrong is None:
            continue
        predicted = model.answer(wrong)
        if _first_rejected(family, graph, wrong, step) == step and not family.score_answer(problem, predicted):
            return Injected(wrong, step, kind, predicted)
    return None


def _first_rejected(family, truth: StepGraph, wrong: StepGraph, step: int) -> int | None:
    """The first of the wrong trace's steps up to `step` that the family's checker rejects against the
    true graph (later steps may state nodes the true graph does not have)."""
    for k, node in enumerate(wrong.nodes[: step + 1]):
        if not family.check_step(truth, node.text, (node.id,))[0]:
            return k
    return None


def negative_traces(problem: Problem, style: str, count: int, seed: int) -> list[Trace]:
    """Up to `count` negatives of a problem in one style, numbered from 1 (the correct trace is 0)."""
    traces, used = [], set()
    for index in range(1, count + 1):
        injected = inject(problem, index, seed, used)
        if injected is None:
            break
        used.add((injected.step, injected.kind))
        wrong = replace(problem, graph=injected.graph)
        trace = render(wrong, "fine", style)
        traces.append(replace(
            trace, problem=problem, source=SOURCE, sample_index=index,
            meta={"error": {"step": injected.step, "kind": injected.kind}, "predicted_answer": injected.predicted},
        ))
    return traces


def negative_verdict(trace: Trace) -> TraceVerdict:
    """A negative's verdict, known by construction: unverified, steps True before the error, False
    from it on."""
    step = trace.meta["error"]["step"]
    labels = [k < step for k in range(len(trace.steps))]
    return TraceVerdict(False, labels, "injected_error",
                        f"step {step + 1}: injected {trace.meta['error']['kind']}; predicts {trace.meta['predicted_answer']}")
