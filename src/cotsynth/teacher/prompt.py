"""Teacher prompts: a jinja2 file under templates/teacher/ rendered into chat messages.

Few-shot exemplars are symbolic fine traces of problems of the same family drawn under a separate
task key (so they never coincide with a dataset problem), chosen to cover the problem's compounds and
atoms first: the skills and their composition in one context (Skills-in-Context prompting).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from cotsynth import tasks
from cotsynth.config import PipelineConfig, TeacherTraces
from cotsynth.resources import resource_dir
from cotsynth.templating import environment
from cotsynth.tasks.base import Problem
from cotsynth.traces.symbolic import render

EXEMPLAR_POOL = 16


def find_template(name: str) -> Path:
    """`default` → templates/teacher/default.j2; otherwise a file name there, or a path to a `.j2`
    file without `..` (so a config cannot point the prompt at /etc/passwd)."""
    folder = resource_dir("templates") / "teacher"
    for candidate in (folder / f"{name}.j2", folder / name):
        if candidate.resolve().is_relative_to(folder.resolve()) and candidate.is_file():
            return candidate
    path = Path(name)
    confined = ".." not in path.parts and path.suffix == ".j2"
    if confined and path.is_file():
        return path
    if not confined and (path.exists() or ".." in path.parts):
        raise FileNotFoundError(f"teacher prompt template {name!r}: a path must name a .j2 file and contain no '..'")
    raise FileNotFoundError(f"no teacher prompt template {name!r} (looked in {folder} and as a path)")


def check_template(path: Path) -> None:
    """Render both macros once on a blank problem, so a broken or unsafe template (one reaching for
    Python internals: `jinja2.sandbox.SecurityError`) is a config error, not a crash mid-run."""
    module = _module(str(path))
    for name in ("system", "user"):
        if not callable(getattr(module, name, None)):
            raise jinja2.TemplateError(f"defines no `{name}` macro")
    module.system()
    module.user("", [])


@lru_cache(maxsize=None)
def _module(path: str) -> Any:
    env = environment(loader=jinja2.FileSystemLoader(str(Path(path).parent)))
    return env.get_template(Path(path).name).module


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
        self.module = _module(str(find_template(spec.prompt_template)))
        self.few_shot = spec.few_shot
        self.pools: dict[str, list[Exemplar]] = {}
        if spec.few_shot:
            for i, task in enumerate(config.tasks):
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
        pool = list(self.pools.get(task_key, []))
        compounds, atoms = set(problem.graph.compounds()), set(problem.graph.atoms())
        chosen: list[Exemplar] = []
        while pool and len(chosen) < self.few_shot:
            best = max(pool, key=lambda e: (len(e.compounds & compounds), len(e.atoms & atoms), -pool.index(e)))
            pool.remove(best)
            compounds -= best.compounds
            atoms -= best.atoms
            chosen.append(best)
        return chosen

    def messages(self, problem: Problem, task_key: str) -> list[dict[str, str]]:
        system = str(self.module.system()).strip()
        user = str(self.module.user(problem.question, self.exemplars(problem, task_key))).strip()
        return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
