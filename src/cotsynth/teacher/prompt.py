"""Teacher prompts: a jinja2 file under templates/teacher/ rendered into chat messages.

Few-shot exemplars are symbolic fine traces of problems of the same family drawn under a separate
task key (so they never coincide with a dataset problem), chosen to cover the problem's compounds and
atoms first: the skills and their composition in one context (Skills-in-Context prompting).
"""

from __future__ import annotations

from dataclasses import dataclass


from cotsynth import tasks
from cotsynth.config import PipelineConfig, TeacherTraces
from cotsynth.resources import find_template
from cotsynth.templating import template_module
from cotsynth.tasks.base import Problem
from cotsynth.traces.symbolic import render

EXEMPLAR_POOL = 16


def template_name(spec: TeacherTraces) -> str:
    """The configured template; `format: program` with the default one asks for a program instead."""
    return "program" if spec.format == "program" and spec.prompt_template == "default" else spec.prompt_template


@dataclass(frozen=True)
class Exemplar:
    question: str
    steps: tuple[str, ...]
    answer: str
    atoms: frozenset[str]
    compounds: frozenset[str]


class PromptBuilder:
    """Messages for each problem of a config under one teacher spec."""

    def __init__(self, config: PipelineConfig, spec: TeacherTraces):
        self.module = template_module(str(find_template(template_name(spec))))
        self.few_shot = spec.few_shot
        self.pools: dict[str, list[Exemplar]] = {}
        if spec.few_shot:
            for i, task in enumerate(config.tasks):
                if task.family is None:  # a dataset task: no generator to draw exemplars from
                    continue
                family = tasks.get(task.family)
                settings, templates = config.knob_settings(i), family.templates(task.templates)
                pool = []
                for index in range(EXEMPLAR_POOL):
                    problem = family.build(config.seed, f"{task.key}~exemplar", index, settings, templates)
                    trace = render(problem, "fine", "steps")
                    pool.append(Exemplar(problem.question, tuple(s.claim for s in trace.steps), problem.answer,
                                         frozenset(problem.graph.atoms()), frozenset(problem.graph.compounds())))
                self.pools[task.key] = pool

    def exemplars(self, problem: Problem, task_key: str) -> list[Exemplar]:
        """Greedy cover: each pick adds the most uncovered compounds, then atoms; ties by pool order."""
        pool = list(enumerate(self.pools.get(task_key, [])))  # positions: ties go to the earlier one
        compounds, atoms = set(problem.graph.compounds()), set(problem.graph.atoms())
        chosen: list[Exemplar] = []
        while pool and len(chosen) < self.few_shot:
            at, best = max(pool, key=lambda p: (len(p[1].compounds & compounds), len(p[1].atoms & atoms), -p[0]))
            pool = [p for p in pool if p[0] != at]
            compounds -= best.compounds
            atoms -= best.atoms
            chosen.append(best)
        return chosen

    def messages(self, problem: Problem, task_key: str) -> list[dict[str, str]]:
        system = str(self.module.system()).strip()
        user = str(self.module.user(problem.question, self.exemplars(problem, task_key))).strip()
        return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
