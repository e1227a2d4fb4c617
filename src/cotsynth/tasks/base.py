"""What every task family provides, and how a Problem is built from (seed, task, index, knobs)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cotsynth.core.graph import REF, StepGraph
from cotsynth.core.seeding import rng_for, stable_id
from cotsynth.core.vocabulary import EVERY_FAMILY
from cotsynth.schema import dumps
from cotsynth.tasks.knobs import Knob
from cotsynth.tasks.templates import QuestionTemplate, question_templates
from cotsynth.verify import answers_match


@dataclass
class Problem:
    id: str  # stable: `<task key>-<hash of (seed, task key, index)>`
    task: str
    question: str
    answer: str
    answer_type: str
    graph: StepGraph
    template_id: str
    knobs: dict[str, Any]  # the values this example used
    program: str | None = None  # a Python program printing the answer (granularity `code`)
    task_key: str = ""  # the pipeline task it was made for (its `name`); `task` is the family
    source_row: dict[str, Any] | None = None  # a dataset problem's row: {"index": i, "id": its id column}

    @property
    def from_dataset(self) -> bool:
        return self.source_row is not None


@dataclass
class Generated:
    """What a family's `generate` returns; the question is rendered from `variables` by a template."""

    variables: dict[str, Any]
    answer: str
    graph: StepGraph
    program: str | None = None
    knobs: dict[str, Any] = field(default_factory=dict)  # extra per-example facts worth recording
    answer_type: str | None = None  # overrides the family's when it varies by question (kg_compare)


class TaskFamily:
    """A registered generator: subclasses set the class attributes and implement the methods."""

    name: ClassVar[str]
    description: ClassVar[str]
    answer_type: ClassVar[str]
    knobs: ClassVar[dict[str, Knob]]
    granularities: ClassVar[tuple[str, ...]] = EVERY_FAMILY

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        """Build one problem from per-example knob values, drawing only from `rng`."""
        raise NotImplementedError

    def generate_at(self, rng: random.Random, knobs: dict[str, Any], index: int) -> Generated:
        """`generate` for the example at `index`; families that enumerate some examples (every atomic
        fact once, every rule set in turn) override this instead."""
        return self.generate(rng, knobs)

    def knob_problems(self, knobs: dict[str, Any], count: int) -> list[str]:
        """Settings the knobs' ranges allow but this family cannot serve for `count` problems, as
        `knob: reason`; checked when the config loads so a run never fails midway."""
        return []

    def recompute_answer(self, graph: StepGraph) -> str:
        """The answer recomputed from the graph alone, independently of how `generate` got it."""
        raise NotImplementedError

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        """Whether one CoT step (linked to its graph nodes) holds on its own; the reason says why not."""
        raise NotImplementedError

    def entities(self, graph: StepGraph) -> list[str]:
        """The named entities a problem is about (KG people, two_hop tokens), sorted: what an
        entity-level hold-out (`heldout_entities` split) keys on. Families without entities: none."""
        return []

    def score_answer(self, problem: Problem, prediction: str) -> bool:
        """Whether a predicted final answer is right. Families with many right answers (countdown)
        override this; the default is equivalence with the canonical answer."""
        return answers_match(problem.answer, prediction)

    def problem_key(self, problem: Problem) -> str:
        """The problem itself, whatever its wording: the family plus its canonical inputs. Two
        problems with the same key are the same exercise (dedup `problem`, and no key in two splits).
        By default the inputs are the step graph's: each node's operation, literal inputs, where
        its references point and its facts (tables, KG, rules); templates never reach the graph.
        Families whose graph is one of many solutions of the same givens (countdown) override this."""
        order = {n.id: k for k, n in enumerate(problem.graph.nodes)}
        inputs = [[n.op, [f"#{order[i[1:]]}" if i.startswith(REF) else i for i in n.inputs], n.attrs]
                  for n in problem.graph.nodes]
        return f"{self.name}:{stable_id(dumps(inputs))}"

    def templates(self, allowed: list[str] | None = None) -> tuple[QuestionTemplate, ...]:
        found = question_templates(self.name)
        if allowed is None:
            return found
        return tuple(t for t in found if t.id in allowed or t.id.split("/", 1)[1] in allowed)

    def build(
        self,
        seed: int,
        task_key: str,
        index: int,
        settings: dict[str, Any],
        templates: tuple[QuestionTemplate, ...],
    ) -> Problem:
        """The problem at `index`: the same for the same (seed, task key, index, settings), anywhere."""
        rng = rng_for(seed, task_key, self.name, index)
        example_knobs = {name: self.knobs[name].sample(rng, value) for name, value in settings.items()}
        generated = self.generate_at(rng, example_knobs, index)
        template = templates[rng.randrange(len(templates))]
        recorded = {k: _joined(v) if isinstance(v, tuple) else v for k, v in example_knobs.items()}
        return Problem(
            id=f"{task_key}-{stable_id(seed, task_key, self.name, index)}",
            task=self.name,
            question=template.render(**generated.variables),
            answer=generated.answer,
            answer_type=generated.answer_type or self.answer_type,
            graph=generated.graph,
            template_id=template.id,
            knobs=recorded | generated.knobs,
            program=generated.program,
            task_key=task_key,
        )


def _joined(values: tuple[str, ...]) -> str:
    """A choice knob as recorded: `+-*` for one-character values, `reverse,add` for words."""
    return "".join(values) if all(len(v) == 1 for v in values) else ",".join(values)
