"""A rule-based reward for RL trainers: 1.0 when the completion's final answer matches, else 0.0.

verl: point `custom_reward_function.path` at this file and `custom_reward_function.name` at
`compute_score` (signature `compute_score(data_source, solution_str, ground_truth, extra_info=None)`);
cotsynth's `rl` view stores `reward_model.ground_truth` and `extra_info.answer_type` for it, and
`extra_info.task` / `extra_info.graph` so that families with many right answers (countdown: any
expression reaching the target) are scored by their own `score_answer`, not by equality.
TRL GRPO: pass `grpo_reward` in `reward_funcs`; it reads the dataset's `ground_truth` column, or
`reward_model` dicts as in the `rl` view, and accepts plain or conversational completions.
"""

from __future__ import annotations

import json
from typing import Any

from cotsynth.verify import answers_match, extract_answer


def score(completion: str, ground_truth: str, answer_type: str | None = None) -> float:
    """1.0 if the answer extracted from `completion` matches `ground_truth`, else 0.0."""
    return 1.0 if answers_match(ground_truth, extract_answer(completion), answer_type) else 0.0


def compute_score(data_source: str, solution_str: str, ground_truth: str,
                  extra_info: dict[str, Any] | None = None) -> float:
    """verl's custom reward signature."""
    info = extra_info or {}
    family_score = _family_score(solution_str, ground_truth, info)
    if family_score is not None:
        return family_score
    return score(solution_str, ground_truth, info.get("answer_type"))


def _family_score(solution: str, ground_truth: str, info: dict[str, Any]) -> float | None:
    """The family's own `score_answer` where it overrides plain equivalence, else None."""
    from cotsynth import tasks
    from cotsynth.tasks.base import Problem, TaskFamily
    from cotsynth.core.graph import StepGraph

    if not info.get("graph") or info.get("task") not in tasks.names():
        return None
    family = tasks.get(info["task"])
    if type(family).score_answer is TaskFamily.score_answer:
        return None
    problem = Problem(
        id=str(info.get("id", "")), task=family.name, question="", answer=ground_truth,
        answer_type=str(info.get("answer_type") or family.answer_type),
        graph=StepGraph.from_json(json.loads(info["graph"])), template_id="", knobs={},
    )
    prediction = extract_answer(solution)
    return 1.0 if prediction is not None and family.score_answer(problem, prediction) else 0.0


def grpo_reward(completions: list[Any], ground_truth: list[str] | None = None,
                reward_model: list[dict[str, Any]] | None = None,
                answer_type: list[str] | None = None, extra_info: list[dict[str, Any]] | None = None,
                **_: Any) -> list[float]:
    """TRL GRPO reward function: one score per completion."""
    if ground_truth is None:
        if reward_model is None:
            raise ValueError("grpo_reward needs a `ground_truth` or `reward_model` dataset column")
        ground_truth = [entry["ground_truth"] for entry in reward_model]
    types = answer_type or [None] * len(completions)
    infos = extra_info or [{}] * len(completions)
    return [
        compute_score("", _text(c), gold, {**(info or {}), **({"answer_type": kind} if kind else {})})
        for c, gold, kind, info in zip(completions, ground_truth, types, infos)
    ]


def _text(completion: Any) -> str:
    """A completion as text: TRL gives strings, or lists of chat messages for conversational data."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content") or "")
    return ""
