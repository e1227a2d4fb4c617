"""The teacher client: one async OpenAI client per process, many requests in flight, each answer once.

Per request: the cache first; else wait for a concurrency slot and the pacers, send, and on a
transient failure back off and send again (RetryPolicy). `timeout` is a deadline for the whole
attempt, body included (a server trickling a byte every half second never ends an attempt by itself),
and the body is read in chunks up to `max_response_kb`; it is validated (`response.py`) before it is
used or cached. The SDK's own retries are off (they would
hide attempts from the counts) and responses are read as JSON rather than as pydantic models (that
parse is most of the SDK's CPU cost per request, which caps one process's request rate).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import openai

from cotsynth.config import TeacherTraces
from cotsynth.teacher.cache import ResponseCache
from cotsynth.teacher.progress import LIVE
from cotsynth.teacher.ratelimit import Pacer
from cotsynth.teacher.response import InvalidResponse, completion_fields, read_body, valid_cached
from cotsynth.teacher.retry import Failure, RetryPolicy, classify

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


def make_openai(spec: TeacherTraces, connections: int) -> openai.AsyncOpenAI:
    key = os.environ.get(spec.endpoint.api_key_env or "", "") or "EMPTY"  # local servers take any key
    limits = openai.DefaultAioHttpClient  # aiohttp transport: far less CPU per request than httpx
    return openai.AsyncOpenAI(
        base_url=spec.endpoint.base_url,
        api_key=key,
        max_retries=0,
        timeout=spec.timeout,
        http_client=limits(limits=_limits(connections), timeout=spec.timeout),
    )


def _limits(connections: int) -> Any:
    import httpx2

    return httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)


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
        self._openai = make_openai(self.spec, self.concurrency)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._openai.close()

    async def complete(self, request: Request) -> Answer:
        if self.cache is not None:
            hit = self.cache.get(request.key)
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
            self.cache.put(request.key, {k: v for k, v in asdict(answer).items() if k not in ("cached", "failure", "detail")})
        return answer

    async def _with_retries(self, request: Request) -> Answer:
        failure: Failure | None = None
        for attempt in range(self.policy.max_retries + 1):
            if failure is not None:
                self.stats.retries += 1
                await asyncio.sleep(self.policy.delay(attempt, failure, self._rng))
            if self._rpm:
                await self._rpm.wait()
            if self._tpm:
                await self._tpm.wait(sum(len(m["content"]) for m in request.messages) / 4)
            self.stats.requests += 1
            started = time.perf_counter()
            try:
                answer = await asyncio.wait_for(self._send(request), self.spec.timeout)
            except (openai.APIError, InvalidResponse, TimeoutError) as error:
                failure = classify(error) if isinstance(error, openai.APIError) else \
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
        extra: dict[str, Any] = {"seed": request.seed} if request.seed is not None else {}
        if request.extra:
            extra["extra_body"] = request.extra
        limit = self.spec.max_response_kb * 1024
        if request.prompt is not None:
            call = self._openai.completions.with_streaming_response.create(
                model=self.spec.endpoint.model, prompt=request.prompt, n=1,
                extra_headers={SAMPLE_HEADER: str(request.sample)}, **self._sampling, **extra)
        else:
            call = self._openai.chat.completions.with_streaming_response.create(
                model=self.spec.endpoint.model, messages=request.messages, n=1,  # type: ignore[arg-type]
                extra_headers={SAMPLE_HEADER: str(request.sample)}, **self._sampling, **extra)
        async with call as response:
            chunks, size = [], 0
            async for chunk in response.iter_bytes():  # decompressed: the cap holds against gzip bombs
                size += len(chunk)
                if size > limit:
                    raise InvalidResponse(f"body larger than max_response_kb={self.spec.max_response_kb}")
                chunks.append(chunk)
        return Answer(**completion_fields(read_body(chunks), text=request.prompt is not None))
