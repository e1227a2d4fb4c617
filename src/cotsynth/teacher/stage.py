"""The teacher stage: sample CoT for each problem of a unit, verify every sample, apply `keep`.

Each sample's final answer is extracted and scored by the family (`score_answer`), its steps are
labelled against the step graph, and a sample is verified only if both hold: a right answer reached
through a wrong step is rejected (the wrong step is what the step labels point at). Per problem the
pass rate over answered samples goes into `meta`. Samples not kept are counted in `drops` with their
reason; a sample whose requests all failed is a record with the failure reason under `keep: all`.
Record content depends only on the config and the teacher's answers (never on latency, attempts or
the cache), so a resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cotsynth.config import PipelineConfig, TeacherTraces
from cotsynth.core import progress
from cotsynth.core.seeding import stable_id
from cotsynth.core.vocabulary import FREE
from cotsynth.tasks.base import Problem
from cotsynth.teacher.cache import ResponseCache, cache_key
from cotsynth.teacher import continuation, rollouts
from cotsynth.teacher.client import Answer, Request, TeacherClient
from cotsynth.teacher.grading import EXTRACT, claim_labels, final_answer, run_program_answer, score, unevaluated
from cotsynth.teacher.prompt import PromptBuilder, template_name
from cotsynth.traces.symbolic import Trace
from cotsynth.traces.verify import TraceVerdict
from cotsynth.verify import extract_answer

MAX_JUDGED_LINES = 2_000  # a longer completion is rejected unlabelled: labelling costs per line


@dataclass
class Sample:
    trace: Trace
    verdict: TraceVerdict
    answer: Answer
    answer_ok: bool = False

    @property
    def failed(self) -> bool:
        return self.answer.failure is not None

    def score(self) -> tuple[Any, ...]:
        """Best-of-N order: verified, right answer, share of steps labelled correct, shorter, earlier."""
        labels = self.verdict.step_labels or []
        share = sum(1 for x in labels if x) / len(labels) if labels else 0.0
        return (self.verdict.verified, self.answer_ok, share, -self.answer.completion_tokens, -self.trace.sample_index)


def split_final(content: str) -> tuple[str, list[str]]:
    """The reasoning without its closing answer line, and its steps (one per non-empty line)."""
    lines = [line.strip() for line in content.strip().splitlines() if line.strip()]
    if lines and extract_answer(lines[-1], strategies=EXTRACT) is not None:
        lines = lines[:-1]
    return "\n".join(lines), lines


def judge(problem: Problem, answer: Answer, step_labels: str = "claims",
          program: bool = False) -> tuple[TraceVerdict, bool, str | None, list[str], str]:
    """(verdict, answer right, predicted answer, steps, cot) of one answered sample.

    `step_labels`: `claims` labels the steps exactly (a wrong one rejects the sample); `rollouts`
    also rejects on a false claim but leaves the labels to the rollouts; `none` labels nothing.
    A program is run in the sandbox instead, and what it prints is its answer."""
    content = answer.content or ""
    failure = None
    if program:
        ran = run_program_answer(content)
        cot, steps, predicted, failure, labelled = ran.code, [ran.code], ran.printed, ran.failure, None
    else:
        cot, steps = split_final(content)
        if len(steps) > MAX_JUDGED_LINES:
            reason = f"too long: {len(steps)} lines, more than the {MAX_JUDGED_LINES} judged"
            return TraceVerdict(False, None, "teacher:answer+steps", reason), False, None, steps, cot
        labelled = claim_labels(problem, steps) if step_labels != "none" else None
        predicted = final_answer(content)
    labels = labelled.labels if labelled and step_labels == "claims" else None
    complete_labels = labels if labels and all(x is not None for x in labels) else None
    right = score(problem, predicted)
    if answer.finish_reason == "length":
        reason = "truncated: finish_reason=length"
    elif failure is not None:
        reason = failure
    elif predicted is None:
        reason = "no final answer: none found in the completion"
    elif unevaluated(problem, predicted):
        reason = f"unevaluated answer: {predicted[:100]} is an operation left to do, not a number"
    elif not right:
        reason = f"wrong answer: {predicted[:100]} != {problem.answer}"
    elif labelled is not None and labelled.first_wrong is not None:
        k = labelled.first_wrong
        reason = f"wrong step: step {k + 1}: {labelled.reasons[k]}"
    else:
        reason = f"answer matches; {len(steps)} steps, none wrong"
    verified = right and answer.finish_reason != "length" and (labelled is None or labelled.first_wrong is None)
    method = "teacher:program+sandbox" if program else "teacher:answer+steps"
    return TraceVerdict(verified, complete_labels, method, reason), right, predicted, steps, cot


class TeacherStage:
    """One `source: teacher` entry of the config, applied to the problems of one unit at a time."""

    def __init__(self, config: PipelineConfig, spec: TeacherTraces, cache_dir: Path, concurrency: int):
        self.config = config
        self.spec = spec
        self.source = f"teacher:{spec.endpoint.model}"
        self.granularity = "code" if spec.format == "program" else FREE
        self.style = Path(template_name(spec)).stem
        self.prompts = PromptBuilder(config, spec)
        self.cache = ResponseCache(cache_dir)
        self.concurrency = concurrency

    def requests(self, problem: Problem, task_key: str) -> list[Request]:
        messages = self.prompts.messages(problem, task_key)
        spec = self.spec
        out = []
        for sample in range(spec.samples):
            seed = None
            if spec.sampling.seed is not None:
                seed = int(stable_id(spec.sampling.seed, problem.id, sample), 16) % 2**31
            sampling = {"temperature": spec.sampling.temperature, "top_p": spec.sampling.top_p,
                        "max_tokens": spec.sampling.max_tokens, "seed": seed}
            key = cache_key(spec.endpoint.base_url, spec.endpoint.model, messages, sampling, sample)
            out.append(Request(key, messages, sample, seed))
        return out


    async def arun(self, problems: list[Problem], task_key: str) -> tuple[list[tuple[Problem, list[Sample]]], dict[str, Any]]:
        requests = [self.requests(p, task_key) for p in problems]
        async with TeacherClient(self.spec, self.cache, self.concurrency) as client:
            answers = await asyncio.gather(*(client.complete(r) for rs in requests for r in rs))
            results = []
            position = 0
            for problem, rs in zip(problems, requests):
                samples = [self._sample(problem, r.sample, answers[position + k]) for k, r in enumerate(rs)]
                position += len(rs)
                results.append((problem, samples))
            counts = await self._rollouts(client, results, task_key) if self.spec.step_labels == "rollouts" else None
        stats = client.stats.to_dict()
        if counts is not None:
            stats["rollouts"] = counts
        return results, stats

    async def _rollouts(self, client: TeacherClient, results: list[tuple[Problem, list[Sample]]],
                        task_key: str) -> dict[str, Any]:
        """Label the steps of every sample the keep policy keeps by continuing each step prefix."""
        spec = self.spec
        todo = []
        how = None
        for problem, samples in results:
            kept, _ = self.keep(samples)
            for sample in kept:
                steps = sample.trace.cot_steps
                if sample.failed or not steps:
                    continue
                if len(steps) > spec.rollouts.max_steps:
                    sample.trace.meta["rollouts"] = {"skipped": f"{len(steps)} steps > max_steps {spec.rollouts.max_steps}"}
                    continue
                messages = self.prompts.messages(problem, task_key)
                how = how or await continuation.resolve(spec, self.config.base_dir)
                todo.append((problem, sample, rollouts.rollout_requests(spec, messages, problem, sample.trace.sample_index,
                                                                        steps, how)))
        flat = [r for _, _, per_step in todo for rs in per_step for r in rs]
        progress.add("teacher.total", len(flat))  # the continuations join the requests the run shows
        answers = iter(await asyncio.gather(*(client.complete(r) for r in flat)))
        steps_labelled = 0
        for problem, sample, per_step in todo:
            found = rollouts.label(problem, [[next(answers) for _ in rs] for rs in per_step])
            sample.trace.meta["rollouts"] = found.to_meta(spec.rollouts.per_step)
            complete = all(x is not None for x in found.labels)
            steps_labelled += sum(x is not None for x in found.labels)
            sample.verdict = TraceVerdict(sample.verdict.verified, found.labels if complete else None,
                                          sample.verdict.method + "+rollouts", sample.verdict.reason)
        counts: dict[str, Any] = {"traces": len(todo), "steps": steps_labelled, "requests": len(flat)}
        return counts | ({"mode": how.mode} if how else {})

    def _sample(self, problem: Problem, index: int, answer: Answer) -> Sample:
        usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens}
        meta: dict[str, Any] = {"teacher": {"model": self.spec.endpoint.model, "finish_reason": answer.finish_reason,
                                            "usage": usage}}
        if answer.failure is not None:
            why = f" ({answer.detail})" if answer.failure == "invalid_response" and answer.detail else ""
            verdict = TraceVerdict(False, None, "teacher:request",
                                   f"failed: {answer.failure} after {answer.attempts} attempts{why}")
            if problem.source_row is not None:
                meta["source_row"] = problem.source_row
            trace = Trace(problem, self.granularity, self.style, self.source, index, [], [], "", meta)
            return Sample(trace, verdict, answer)
        verdict, right, predicted, steps, cot = judge(problem, answer, self.spec.step_labels, self.spec.format == "program")
        meta["predicted_answer"] = predicted
        if problem.source_row is not None:
            meta["source_row"] = problem.source_row
        trace = Trace(problem, self.granularity, self.style, self.source, index, [], steps, cot, meta)
        return Sample(trace, verdict, answer, right)

    def keep(self, samples: list[Sample]) -> tuple[list[Sample], list[tuple[Sample, str]]]:
        """(kept, rejected with why) under the `keep` policy; pass rate is written into each meta."""
        answered = [s for s in samples if not s.failed]
        passed = sum(s.verdict.verified for s in answered)
        rate = round(passed / len(answered), 6) if answered else None
        for s in samples:
            s.trace.meta["pass_rate"] = rate
            s.trace.meta["samples_answered"] = len(answered)
        policy = self.spec.keep
        if policy == "all":
            return samples, []
        if policy == "verified":
            chosen = [s for s in answered if s.verdict.verified]
        elif policy == "first_verified":
            chosen = [s for s in answered if s.verdict.verified][:1]
        else:
            chosen = [max(answered, key=Sample.score)] if answered else []
        kept = {id(s) for s in chosen}
        rejected = []
        for s in samples:
            if id(s) in kept:
                continue
            if s.failed:
                why = s.verdict.reason
            elif s.verdict.verified:
                why = f"not chosen: keep={policy} took another sample"
            else:
                why = f"not verified: {s.verdict.reason}"
            rejected.append((s, why))
        return chosen, rejected


def outcome_counts(results: list[tuple[Problem, list[Sample]]], kept: dict[str, int]) -> dict[str, Any]:
    """Problems and samples by outcome; problems in = kept + rejected + failed, exactly."""
    problems: Counter[str] = Counter()
    samples: Counter[str] = Counter()
    for problem, group in results:
        answered = [s for s in group if not s.failed]
        n_kept = kept.get(problem.id, 0)
        problems["in"] += 1
        problems["kept" if answered and n_kept else "rejected" if answered else "failed"] += 1
        samples["requested"] += len(group)
        samples["answered"] += len(answered)
        samples["failed"] += len(group) - len(answered)
        samples["verified"] += sum(s.verdict.verified for s in answered)
        samples["truncated"] += sum(s.answer.finish_reason == "length" for s in answered)
    return {"problems": dict(problems), "samples": dict(samples)}
