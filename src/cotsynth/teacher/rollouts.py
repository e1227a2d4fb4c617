"""PRM step labels by rollouts (Math-Shepherd): does the teacher still reach the gold from this step?

For each prefix of a kept trace (steps 1..k, sent as the start of the assistant's reply, as
`continuation.py` settles), `per_step`
continuations are sampled from the same teacher; step k is right if any continuation reaches the
gold (the hard estimate) and the share that do is its soft estimate. Rollout requests are ordinary
requests of the teacher stage: the same cache (keyed by the prefix and the continuation index), the
same retries and concurrency slots, counted in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from cotsynth.config import TeacherTraces
from cotsynth.core.seeding import stable_id
from cotsynth.tasks.base import Problem
from cotsynth.teacher.cache import cache_key
from cotsynth.teacher.client import Answer, Request
from cotsynth.teacher.continuation import CHAT_FLAGS, Continuation
from cotsynth.templating import render_prompt
from cotsynth.teacher.grading import final_answer, score


def prefix_messages(messages: list[dict[str, str]], steps: list[str], k: int) -> list[dict[str, str]]:
    """The prompt with steps 1..k as the start of the assistant's reply."""
    return [*messages, {"role": "assistant", "content": "\n".join(steps[:k]) + "\n"}]


def rollout_requests(spec: TeacherTraces, messages: list[dict[str, str]], problem: Problem, sample: int,
                     steps: list[str], how: Continuation) -> list[list[Request]]:
    """Per step, the `per_step` continuation requests of its prefix (the cache key covers how it is sent)."""
    out = []
    for k in range(1, len(steps) + 1):
        chat = prefix_messages(messages, steps, k)
        text = render_prompt(how.template, chat) if how.mode == "completions" else None
        step_requests = []
        for j in range(spec.rollouts.per_step):
            seed = None
            if spec.sampling.seed is not None:
                seed = int(stable_id(spec.sampling.seed, problem.id, sample, "rollout", k, j), 16) % 2**31
            sampling = {"temperature": spec.sampling.temperature, "top_p": spec.sampling.top_p,
                        "max_tokens": spec.sampling.max_tokens, "seed": seed}
            if text is None:
                key = cache_key(spec.endpoint.base_url, spec.endpoint.model, chat, sampling | CHAT_FLAGS, j)
                step_requests.append(Request(key, chat, j, seed, extra=CHAT_FLAGS))
            else:
                key = cache_key(spec.endpoint.base_url, spec.endpoint.model, [{"prompt": text}], sampling, j)
                step_requests.append(Request(key, chat, j, seed, prompt=text))
        out.append(step_requests)
    return out


@dataclass(frozen=True)
class RolloutLabels:
    labels: list[bool | None]  # hard: some continuation reached the gold (None: none answered)
    soft: list[float | None]  # the share that did
    reached: list[int]

    def to_meta(self, per_step: int) -> dict[str, object]:
        return {"per_step": per_step, "soft": self.soft, "reached": self.reached}


def label(problem: Problem, per_step: list[list[Answer]]) -> RolloutLabels:
    labels, soft, reached = [], [], []
    for answers in per_step:
        answered = [a for a in answers if a.failure is None]
        hits = sum(score(problem, final_answer(a.content)) for a in answered
                   if a.finish_reason != "length")
        labels.append(hits > 0 if answered else None)
        soft.append(round(hits / len(answered), 6) if answered else None)
        reached.append(hits)
    return RolloutLabels(labels, soft, reached)
