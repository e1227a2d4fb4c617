"""The real teacher client against a hostile server: every misbehaviour ends an attempt as a failure
with a reason, nothing bad is cached, and `--resume` over the same cache goes through."""

from __future__ import annotations

import asyncio
import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hostile_teacher import MALFORMED, HostileTeacher, gzip_bomb  # noqa: E402

from cotsynth.config import parse_config  # noqa: E402
from cotsynth.teacher.cache import ResponseCache  # noqa: E402
from cotsynth.teacher.client import Request, TeacherClient  # noqa: E402

DOC = {
    "name": "hostile", "seed": 1,
    "tasks": [{"family": "arith", "count": 3, "knobs": {"steps": [2, 2], "digits": [1, 1], "ops": ["+"]}}],
    "traces": [{"source": "teacher", "endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "m"},
                "timeout": 10, "max_retries": 1, "few_shot": 0, "keep": "all"}],
    "output": {"dir": "unused"},
}


@pytest.fixture(scope="module")
def server():
    with HostileTeacher() as running:
        yield running


def spec_for(url: str, **teacher):
    doc = copy.deepcopy(DOC)
    doc["traces"][0]["endpoint"]["base_url"] = url
    doc["traces"][0].update(teacher)
    return parse_config(doc).traces[0]


def ask(spec, cache: ResponseCache | None, n: int = 1):
    async def go():
        async with TeacherClient(spec, cache) as client:
            answers = await asyncio.gather(*(client.complete(Request(f"k{i}", [{"role": "user", "content": "q"}], i, None))
                                             for i in range(n)))
        return answers, client.stats

    return asyncio.run(go())


def test_slow_loris_is_cut_at_the_deadline_of_each_attempt(server):
    spec = spec_for(server.url("slowloris"), timeout=1.5, max_retries=2)
    before = server.hits["slowloris"]
    (answer,), stats = ask(spec, None)
    assert answer.failure == "timeout" and "1.5 s" in answer.detail
    assert answer.attempts == 3 and stats.attempt_errors["timeout"] == 3
    assert server.hits["slowloris"] - before == 3  # each attempt was a real request the client abandoned


def test_slow_loris_requests_in_flight_all_end(server):
    spec = spec_for(server.url("slowloris"), timeout=1, max_retries=0, max_concurrency=30)
    answers, _ = ask(spec, None, n=30)
    assert [a.failure for a in answers] == ["timeout"] * 30


def test_gzip_bomb_is_capped_while_inflating(server, tmp_path):
    cache = ResponseCache(tmp_path)
    gzip_bomb()  # built before the request, so the attempt's deadline covers only its transfer
    spec = spec_for(server.url("gzipbomb"), max_retries=0, max_response_kb=1024, timeout=60)
    (answer,), _ = ask(spec, cache)
    assert answer.failure == "invalid_response" and "max_response_kb=1024" in answer.detail
    assert len(cache) == 0


@pytest.mark.parametrize("behaviour", sorted(MALFORMED))
def test_malformed_body_is_a_failure_with_a_reason_and_never_cached(server, behaviour, tmp_path):
    cache = ResponseCache(tmp_path)
    spec = spec_for(server.url(behaviour), max_retries=1)
    (answer,), stats = ask(spec, cache)
    assert answer.failure == "invalid_response" and answer.detail, answer
    assert stats.attempt_errors["invalid_response"] == 2
    assert len(cache) == 0
    (again,), _ = ask(spec, cache)  # a resumed run asks again and fails the same way, no crash
    assert again.failure == "invalid_response" and not again.cached


def test_a_poisoned_cache_entry_is_asked_again(server, tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k0", {"content": 42, "finish_reason": "stop", "prompt_tokens": 1, "completion_tokens": 1,
                     "latency": 0.0, "attempts": 1})
    (answer,), stats = ask(spec_for(server.url("ok")), cache)
    assert not answer.cached and answer.failure is None and "boxed{4}" in answer.content
    assert stats.requests == 1 and cache.get("k0")["content"] == answer.content


def test_a_run_against_a_malformed_teacher_finishes_and_reruns(server, tmp_path):
    from cotsynth.pipeline.run import RunOptions, run_pipeline

    doc = copy.deepcopy(DOC)
    doc["traces"][0]["endpoint"]["base_url"] = server.url("content_int")
    doc["traces"][0]["max_retries"] = 0
    doc["output"]["dir"] = str(tmp_path / "out")
    doc["tasks"][0]["count"] = 12
    doc["splits"] = {"strategy": "iid", "test_fraction": 0.5}
    config = parse_config(doc)
    first = run_pipeline(config, RunOptions(tmp_path / "out", executor="local"))
    assert first["counts"]["teacher"][0]["samples"]["failed"] == 12
    import pyarrow.parquet as pq

    reasons = {r for p in (tmp_path / "out" / "data").glob("*.parquet") for r in pq.read_table(p)["verification"].to_pylist()}
    assert reasons and all("invalid_response" in r and "content` is a int" in r for r in reasons), reasons
    again = run_pipeline(config, RunOptions(tmp_path / "out", executor="local", overwrite=True))
    assert again["counts"]["teacher"] == first["counts"]["teacher"]


def test_a_completion_of_too_many_lines_is_rejected_unjudged():
    from cotsynth import tasks
    from cotsynth.teacher.client import Answer
    from cotsynth.teacher.stage import MAX_JUDGED_LINES, judge

    config = parse_config(DOC)
    family = tasks.get("arith")
    problem = family.build(config.seed, "arith", 0, config.knob_settings(0), family.templates())
    right = f"The answer is \\boxed{{{problem.answer}}}."
    short, _, _, _, _ = judge(problem, Answer(content="Let me add.\n" + right))
    assert short.reason != "" and "too long" not in short.reason
    flood = "".join(f"step {k}: 1 + 1 = 2\n" for k in range(MAX_JUDGED_LINES + 1)) + right
    verdict, answer_ok, predicted, steps, _ = judge(problem, Answer(content=flood))
    assert not verdict.verified and not answer_ok and predicted is None
    assert verdict.step_labels is None and f"{MAX_JUDGED_LINES + 1} lines" in verdict.reason
