"""The teacher client: one connection pool per process, many requests in flight, each answer once.

Per request: the cache first; else wait for a concurrency slot and the pacers, send, and on a
transient failure back off and send again (RetryPolicy). `timeout` is a deadline for the whole
attempt, body included (a server trickling a byte every half second never ends an attempt by itself),
and the body is read in chunks up to `max_response_kb` (`wire.py`, which speaks the OpenAI protocol
over aiohttp: the SDK's request building was most of a request's client CPU); it is validated
(`response.py`) before it is used or cached.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from cotsynth.config import TeacherTraces
from cotsynth.teacher.cache import FLUSH_ANSWERS, FLUSH_SECONDS, ResponseCache
from cotsynth.teacher.progress import LIVE
from cotsynth.teacher.ratelimit import Pacer
from cotsynth.teacher.response import InvalidResponse, completion_fields, valid_cached
from cotsynth.teacher.retry import Failure, RetryPolicy
from cotsynth.teacher.wire import Wire, WireError

SAMPLE_HEADER = "x-cotsynth-sample-index"  # which sample of a prompt a request is (teacher-sim reads it)


@dataclass
class Request:
    key: str  # the cache key
    messages: list[dict[str, str]]
    sample: int
    seed: int | None
    prompt: str | None = None  # set: a text completion (`/v1/completions`) of this prompt instead of a chat
    extra: dict[str, Any] | None = None  # more fields of the request body (vLLM's continue_final_message)


@dataclass
class Answer:
    content: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency: float = 0.0  # seconds, of the attempt that answered
    attempts: int = 0
    cached: bool = False
    failure: str | None = None  # the last failure's reason when no answer came
    detail: str = ""


@dataclass
class ClientStats:
    requests: int = 0  # HTTP attempts sent
    cache_hits: int = 0
    retries: int = 0
    answered: int = 0
    attempt_errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    tokens_in: int = 0
    tokens_out: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["attempt_errors"], out["failures"] = dict(self.attempt_errors), dict(self.failures)
        out["latencies_ms"] = [round(x, 2) for x in self.latencies_ms]
        return out


class TeacherClient:
    """Use inside one event loop: `async with TeacherClient(...) as client: await client.complete(r)`."""

    def __init__(self, spec: TeacherTraces, cache: ResponseCache | None, concurrency: int | None = None):
        self.spec = spec
        self.cache = cache
        self.concurrency = max(1, concurrency or spec.max_concurrency)
        self.policy = RetryPolicy(max_retries=spec.max_retries)
        self.stats = ClientStats()
        self._rng = random.Random()  # backoff jitter only: never reaches the output
        self._rpm = Pacer(spec.requests_per_minute) if spec.requests_per_minute else None
        self._tpm = Pacer(spec.tokens_per_minute) if spec.tokens_per_minute else None
        self._sampling = {"temperature": spec.sampling.temperature, "top_p": spec.sampling.top_p,
                          "max_tokens": spec.sampling.max_tokens}

    async def __aenter__(self) -> TeacherClient:
        self._slots = asyncio.Semaphore(self.concurrency)
        self._wire = await Wire(self.spec, self.concurrency).__aenter__()
        self._pending: dict[str, dict[str, Any]] = {}  # answers not yet committed to the cache
        self._flush_timer: asyncio.TimerHandle | None = None
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._flush()
        await self._wire.__aexit__(*exc)

    def _store(self, key: str, answer: Answer) -> None:
        assert self.cache is not None
        self._pending[key] = {"content": answer.content, "finish_reason": answer.finish_reason,
                              "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
                              "latency": answer.latency, "attempts": answer.attempts}
        if len(self._pending) >= FLUSH_ANSWERS:
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._pending and self.cache is not None:
            pending, self._pending = self._pending, {}
            self.cache.put_many(pending)

    async def complete(self, request: Request) -> Answer:
        if self.cache is not None:
            hit = self._pending.get(request.key) or self.cache.get(request.key)
            if hit is not None and valid_cached(hit):
                self.stats.cache_hits += 1
                LIVE.cached += 1
                LIVE.done += 1
                return Answer(**hit, cached=True)
        async with self._slots:
            LIVE.in_flight += 1
            try:
                answer = await self._with_retries(request)
            finally:
                LIVE.in_flight -= 1
        LIVE.done += 1
        if answer.failure:
            LIVE.failed += 1
            self.stats.failures[answer.failure] += 1
            return answer
        self.stats.answered += 1
        self.stats.tokens_in += answer.prompt_tokens
        self.stats.tokens_out += answer.completion_tokens
        self.stats.latencies_ms.append(answer.latency * 1000)
        if self.cache is not None:
            self._store(request.key, answer)
        return answer

    async def _with_retries(self, request: Request) -> Answer:
        failure: Failure | None = None
        for attempt in range(self.policy.max_retries + 1):
            if failure is not None:
                self.stats.retries += 1
                LIVE.retries += 1
                await asyncio.sleep(self.policy.delay(attempt, failure, self._rng))
            if self._rpm:
                await self._rpm.wait()
            if self._tpm:
                await self._tpm.wait(sum(len(m["content"]) for m in request.messages) / 4)
            self.stats.requests += 1
            started = time.perf_counter()
            try:
                answer = await asyncio.wait_for(self._send(request), self.spec.timeout)
            except (WireError, InvalidResponse, TimeoutError) as error:
                failure = error.failure if isinstance(error, WireError) else \
                    Failure("timeout", True, detail=f"no complete answer within {self.spec.timeout} s") \
                    if isinstance(error, TimeoutError) else Failure("invalid_response", True, detail=str(error))
                self.stats.attempt_errors[failure.reason] += 1
                if not failure.retryable:
                    break
                continue
            answer.latency = time.perf_counter() - started
            answer.attempts = attempt + 1
            if self._tpm:
                self._tpm.charge(answer.completion_tokens)
            return answer
        assert failure is not None
        return Answer(attempts=attempt + 1, failure=failure.reason, detail=failure.detail)

    async def _send(self, request: Request) -> Answer:
        text = request.prompt is not None
        body: dict[str, Any] = {"model": self.spec.endpoint.model,
                                **({"prompt": request.prompt} if text else {"messages": request.messages}),
                                "n": 1, **self._sampling}
        if request.seed is not None:
            body["seed"] = request.seed
        body.update(request.extra or {})
        data = await self._wire.post(body, text, {SAMPLE_HEADER: str(request.sample)})
        return Answer(**completion_fields(data, text=text))
