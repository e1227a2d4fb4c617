"""Canonical records from the verified traces, and one compact row per problem.

A symbolic trace that fails its own graph is a generator bug: counted in the drops, never shipped.
Every other pair (a teacher's, under its `keep` policy) becomes a record.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cotsynth import tasks
from cotsynth.core.seeding import stable_id
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.schema import dumps, record_id
from cotsynth.splits.compounds import compounds
from cotsynth.tasks.base import Problem
from cotsynth.traces.symbolic import Trace
from cotsynth.traces.verify import TraceVerdict

PROBLEMS_SCHEMA = pa.schema(
    [
        ("problem_id", pa.string()),
        ("task", pa.string()),  # the task key
        ("problem_key", pa.string()),
        ("template_id", pa.string()),
        ("knobs", pa.string()),
        ("atoms", pa.list_(pa.string())),
        ("compounds", pa.list_(pa.string())),
        ("complexity", pa.int32()),
        ("shape", pa.string()),
        ("entities", pa.list_(pa.string())),  # for entity-level hold-outs (`heldout_entities`)
        ("question", pa.string()),
        ("rows_data", pa.int32()),  # rows this problem contributes to data/ (after verification)
        ("coarse_is_fine", pa.bool_()),  # its coarse steps restate its fine steps one for one
    ]
)  # then the question keys of `diversity.keys` and the problem's rows in each view (`outputs`)


def family_name(problem: Problem) -> str:
    """The family that made a problem; `dataset` for a row read from a dataset."""
    return "dataset" if problem.from_dataset else problem.task


def problem_key(problem: Problem) -> str:
    """A family's canonical inputs; for a dataset row its question, normalized (the same question
    under two ids is one problem)."""
    if problem.from_dataset:
        return f"dataset:{stable_id(' '.join(problem.question.split()).casefold())}"
    return tasks.get(problem.task).problem_key(problem)


def problem_fields(problem: Problem) -> dict[str, Any]:
    """The record fields that every trace of a problem shares: built once per problem, not per trace
    (the graph's JSON and the problem key are most of a record's cost)."""
    graph = problem.graph
    return {
        "task": problem.task_key or problem.task,
        "family": family_name(problem),
        "problem_key": problem_key(problem),
        "knobs": dumps(problem.knobs),
        "atoms": graph.atoms(),
        "compounds": graph.compounds(),
        "complexity": graph.complexity(),
        "graph": dumps(graph.to_json()),
    }


def to_record(trace: Trace, verdict: TraceVerdict, seed: int, shared: dict[str, Any] | None = None) -> dict[str, Any]:
    """The canonical record of a verified trace; `shared` is its problem's `problem_fields`."""
    problem = trace.problem
    shared = shared or problem_fields(problem)
    return {
        "id": record_id(trace),
        "task": shared["task"],
        "family": shared["family"],
        "problem_key": shared["problem_key"],
        "split": "",  # assigned globally, when every problem is known
        "knobs": shared["knobs"],
        "seed": seed,
        "template_id": problem.template_id,
        "question": problem.question,
        "answer": problem.answer,
        "answer_type": problem.answer_type,
        "granularity": trace.granularity,
        "style": trace.style,
        "cot": trace.cot,
        "cot_steps": trace.cot_steps,
        "source": trace.source,
        "sample_index": trace.sample_index,
        "verified": verdict.verified,
        "step_labels": verdict.step_labels,
        "verification": dumps({"method": verdict.method, "reason": verdict.reason}),
        "atoms": shared["atoms"],
        "compounds": shared["compounds"],
        "complexity": shared["complexity"],
        "graph": shared["graph"],
        "meta": dumps({"step_nodes": [list(s.nodes) for s in trace.steps], **trace.meta}),
    }


class BuildRecords:
    name = "records"
    needs = Needs()

    def __init__(self, seed: int, compound_size: int, wants_entities: bool):
        self.seed = seed
        self.compound_size = compound_size  # the compounds splits work on (`splits.compounds.max_size`)
        self.wants_entities = wants_entities  # only a `heldout_entities` split reads them

    def run(self, work: UnitWork) -> None:
        for problem, pairs in zip(work.problems, work.verified):
            kept = 0
            fields = problem_fields(problem)  # every trace of the problem shares them
            for trace, verdict in pairs:
                if not verdict.verified and trace.source == "symbolic":
                    work.drops.append({"id": record_id(trace), "stage": "verify", "reason": verdict.reason})
                    continue
                work.records.append(to_record(trace, verdict, self.seed, fields))
                kept += 1
            graph = problem.graph
            work.problem_rows.append(
                {
                    "problem_id": problem.id,
                    "task": fields["task"],
                    "problem_key": fields["problem_key"],
                    "template_id": problem.template_id,
                    "knobs": fields["knobs"],
                    "atoms": fields["atoms"],
                    "compounds": compounds(graph, self.compound_size),
                    "complexity": fields["complexity"],
                    "shape": graph.shape(),
                    "entities": tasks.get(problem.task).entities(graph) if self.wants_entities else [],
                    "question": problem.question,
                    "rows_data": kept,
                    "coarse_is_fine": [s.text for s in graph.subgoals] == [n.text for n in graph.nodes],
                }
            )
        work.stats["kept"] += len(work.records)
        # kept rows that verified (a teacher's `keep: all` keeps others)
        work.stats["verified"] += sum(r["verified"] for r in work.records)


register(
    "records",
    lambda config, workers: [
        BuildRecords(config.seed, config.splits.compounds.max_size, config.splits.strategy == "heldout_entities")
    ],
)
