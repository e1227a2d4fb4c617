"""teacher-sim: an OpenAI-compatible server that plays a teacher, for tests and load benchmarks.

It regenerates the problems of a pipeline config (same seed), finds the question at the end of the
last user message, and answers with that problem's fine CoT worded as prose. Knobs make it misbehave
the way real endpoints do: latency, a wrong intermediate step (reported in the `x-cotsynth-wrong-step`
header and in `/stats?detail=1`), a malformed or missing final answer, 429 with Retry-After, 500,
hangs. Like a real server it continues a final assistant message only when asked to (vLLM's
`continue_final_message`; else that message is a finished turn and a new answer starts), and it
serves `/v1/completions` on prompts rendered with the ChatML template it reports at `/props` (as
llama.cpp does), parsing them back into the chat they render. Every choice is drawn from a hash of (sim seed, request content, sample index, attempt), so a
run is reproducible; faults depend on the attempt number so that retries eventually succeed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from aiohttp import web

from cotsynth.config import PipelineConfig
from cotsynth.core.loop import run_loop
from cotsynth.core.seeding import rng_for
from cotsynth.sources.tasks import task_counts, task_problems
from cotsynth.tasks.base import Problem
from cotsynth.teacher import sim_dataset
from cotsynth.teacher.client import SAMPLE_HEADER

WRONG_STEP_HEADER = "x-cotsynth-wrong-step"

_OPENERS = (("First,", "To start,", "We begin with this:"), ("Next,", "Then", "Now", "After that,"), ("Finally,", "Lastly,"))
_ENDINGS = ("The answer is \\boxed{%s}.", "So the final answer is \\boxed{%s}.", "Therefore, the answer is $\\boxed{%s}$.")
CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
_MALFORMED = ("The answer is \\boxed{}.", "The answer is: see above.", "Final answer: %s%s")


@dataclass
class SimKnobs:
    seed: int = 0
    model: str = "teacher-sim"
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0  # uniform in ±jitter around latency_ms
    p_wrong_step: float = 0.0
    p_malformed: float = 0.0
    p_missing: float = 0.0
    p_429: float = 0.0
    p_500: float = 0.0
    p_hang: float = 0.0
    retry_after_s: float = 0.05
    hang_s: float = 3600.0
    chat_template: bool = True  # report CHAT_TEMPLATE at /props (rollouts then use /v1/completions)


@dataclass
class SimStats:
    requests: int = 0
    in_flight: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)  # content key -> 200 responses sent
    injected: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self, detail: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "by_status": dict(self.by_status),
            "answers": sum(self.answered.values()),
            "distinct_answers": len(self.answered),
            "duplicate_answers": sum(c - 1 for c in self.answered.values()),
        }
        if detail:
            out["injected"] = self.injected
        return out


def problems_of(config: PipelineConfig, limit: int | None = None) -> list[Problem]:
    """The problems a run of `config` generates (the first `limit` of each task)."""
    found = []
    for i, count in enumerate(task_counts(config, limit)):
        found.extend(p for p in task_problems(config, i, 0, count) if isinstance(p, Problem))
    return found


def _wrong_value(value: str, rng: Any, problem: Problem) -> str:
    try:
        number = Fraction(value)
    except (ValueError, ZeroDivisionError):
        others = sorted({n.output for n in problem.graph.nodes} - {value})
        return rng.choice(others) if others else f"{value}s"
    wrong = number + rng.choice((-2, -1, 1, 2, 10))
    return str(wrong)


def compose(problem: Problem | None, rng: Any, knobs: SimKnobs) -> tuple[str, int | None, str]:
    """A completion for `problem`: (text, index of the injected wrong step or None, final-answer kind)."""
    if problem is None:
        guess = str(rng.randint(2, 999))
        lines = ["Working through the quantities in the question carefully, I get %s." % guess, _ENDINGS[0] % guess]
        return "\n".join(lines), None, "unknown"
    nodes = problem.graph.nodes
    wrong = rng.randrange(len(nodes)) if nodes and rng.random() < knobs.p_wrong_step else None
    lines = []
    for k, node in enumerate(nodes):
        phase = 0 if k == 0 else 2 if k == len(nodes) - 1 and k > 1 else 1
        opener = rng.choice(_OPENERS[phase])
        value = _wrong_value(node.output, rng, problem) if k == wrong else node.output
        if rng.random() < 0.5 or not node.question:
            before, found, after = node.text.rpartition(node.output)
            statement = f"{before}{value}{after}" if found else node.text
            lines.append(f"{opener} {statement}.")
        else:
            lines.append(f"{opener} {node.question[0].lower()}{node.question[1:]} That is {value}.")
    kind = _ending(lines, problem.answer, rng, knobs)
    return "\n".join(lines), wrong, kind


def _ending(lines: list[str], answer: str, rng: Any, knobs: SimKnobs) -> str:
    """Append the final-answer line (or a malformed one, or none) and say which."""
    draw = rng.random()
    if draw < knobs.p_missing:
        return "missing"
    if draw < knobs.p_missing + knobs.p_malformed:
        form = rng.choice(_MALFORMED)
        lines.append(form % (answer, answer) if "%s" in form else form)
        return "malformed"
    lines.append(rng.choice(_ENDINGS) % answer)
    return "ok"


def respond(problem: Problem | None, rng: Any, knobs: SimKnobs, prefix: list[str] | None,
            program: bool) -> tuple[str, int | None, str]:
    """A completion: a program when asked for one, the rest of a trace after a rollout `prefix`,
    else a whole trace. (text, injected wrong step or None, final-answer kind)."""
    if problem is None:
        return compose(None, rng, knobs)
    if program:
        wrong = rng.random() < knobs.p_wrong_step
        if problem.from_dataset:
            code = sim_dataset.program(problem, sim_dataset.plan(problem, knobs.seed), wrong)
        elif wrong:
            code = f"print({_wrong_value(problem.answer, rng, problem)!r})\n"
        else:
            code = problem.program or f"print({problem.answer!r})\n"
        return f"```python\n{code}```", 0 if wrong else None, "program"
    if not problem.from_dataset:
        text, wrong, kind = compose(problem, rng, knobs)
        return ("\n".join(text.split("\n")[len(prefix):]) if prefix else text), wrong, kind
    plan = sim_dataset.plan(problem, knobs.seed)
    if prefix:
        steps, final, wrong = sim_dataset.continue_trace(problem, plan, prefix, rng, knobs.p_wrong_step)
    else:
        wrong = rng.choice(sim_dataset.injectable(plan)) if rng.random() < knobs.p_wrong_step else None
        steps, final = sim_dataset.lines(problem, plan, wrong)
    kind = _ending(steps, final, rng, knobs)
    return "\n".join(steps), wrong, kind


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class TeacherSim:
    """The request handlers and their state; one per server process."""

    def __init__(self, problems: list[Problem], knobs: SimKnobs):
        self.knobs = knobs
        self.by_question: dict[str, Problem] = {}
        for problem in problems:  # a repeated question is answered as its first problem (dedup keeps that one)
            self.by_question.setdefault(problem.question.strip(), problem)
        self.stats = SimStats()
        self._attempts: Counter[str] = Counter()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 2**20)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/completions", self.completions)
        app.router.add_get("/props", self.props)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/stats", self.stats_view)
        return app

    def find(self, messages: list[dict[str, Any]]) -> Problem | None:
        """The problem whose question ends the last user message (few-shot examples come before it)."""
        user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        text = user.get("content") if user else None
        if not isinstance(text, str):
            return None
        for line in reversed([line.strip() for line in text.strip().splitlines() if line.strip()]):
            if line in self.by_question:
                return self.by_question[line]
        return self.by_question.get(text.strip())

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.knobs.model, "object": "model", "created": 0, "owned_by": "cotsynth"}]}
        )

    async def stats_view(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.summary(request.query.get("detail") == "1"))

    async def props(self, request: web.Request) -> web.Response:
        if not self.knobs.chat_template:
            raise web.HTTPNotFound()
        return web.json_response({"chat_template": CHAT_TEMPLATE})

    async def chat(self, request: web.Request) -> web.Response:
        return await self._counted(request, text=False)

    async def completions(self, request: web.Request) -> web.Response:
        return await self._counted(request, text=True)

    async def _counted(self, request: web.Request, text: bool) -> web.Response:
        self.stats.requests += 1
        self.stats.in_flight += 1
        try:
            response = await self._answer(request, text)
        finally:
            self.stats.in_flight -= 1
        self.stats.by_status[str(response.status)] += 1
        return response

    async def _answer(self, request: web.Request, text: bool) -> web.Response:
        """A chat completion, or (`text`) a text completion of a ChatML prompt, parsed back into its chat."""
        try:
            body = json.loads(await request.read())
            if text:
                prompt = body["prompt"]
                messages = parse_chatml(prompt)
            else:
                messages = body["messages"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalid_request_error", f"body must be JSON with `{'prompt' if text else 'messages'}`")
        if body.get("stream"):
            return _error(400, "invalid_request_error", "teacher-sim does not stream")
        sample = request.headers.get(SAMPLE_HEADER, "0")
        content = json.dumps([messages, body.get("seed"), sample], sort_keys=True)
        key = hashlib.blake2b(content.encode(), digest_size=12).hexdigest()
        self._attempts[key] += 1
        knobs = self.knobs
        fault = rng_for("fault", knobs.seed, key, self._attempts[key]).random()
        if fault < knobs.p_hang:
            await asyncio.sleep(knobs.hang_s)
        fault -= knobs.p_hang
        if 0 <= fault < knobs.p_429:
            retry = knobs.retry_after_s
            return _error(429, "rate_limit_exceeded", "simulated rate limit",
                          {"Retry-After": str(math.ceil(retry)), "retry-after-ms": str(int(retry * 1000))})
        if 0 <= fault - knobs.p_429 < knobs.p_500:
            return _error(500, "server_error", "simulated server error")
        latency = rng_for("latency", knobs.seed, key, self._attempts[key]).uniform(-1, 1) * knobs.latency_jitter_ms
        if knobs.latency_ms + latency > 0:
            await asyncio.sleep((knobs.latency_ms + latency) / 1000)

        problem = self.find(messages)
        last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
        prefix, turn = None, ""
        if last.get("role") == "assistant" and isinstance(last.get("content"), str):
            # a text prompt ends wherever it ends; a chat's final message stays open only when asked
            if text or (body.get("continue_final_message") is True and body.get("add_generation_prompt") is False):
                prefix = [line.strip() for line in last["content"].splitlines() if line.strip()]
            else:
                turn = f"#newturn{len(last['content'].splitlines())}"
        program = any(sim_dataset.PROGRAM_MARKER in str(m.get("content", "")).lower() for m in messages)
        prompt_tokens = sum(_tokens(str(m.get("content", ""))) for m in messages)
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        choices, completion_tokens, wrong_steps = [], 0, []
        for index in range(int(body.get("n") or 1)):
            rng = rng_for("answer", knobs.seed, key, index)
            reply, wrong, kind = respond(problem, rng, knobs, prefix, program)
            finish = "stop"
            if max_tokens and _tokens(reply) > max_tokens:
                reply, finish = reply[: int(max_tokens) * 4], "length"
            completion_tokens += _tokens(reply)
            wrong_steps.append(wrong)
            tag = f"{problem.id if problem else 'unknown'}#{sample}#{index}{turn}"
            entry: dict[str, Any] = {"wrong_step": wrong, "final": kind, "finish_reason": finish}
            if prefix:  # a rollout: logged apart from the samples (`#rollout<steps in its prefix>`)
                tag += f"#rollout{len(prefix)}"
                entry["prompt_end"] = (prompt if text else last["content"])[-400:]
            self.stats.injected[tag] = entry
            choices.append({"index": index, "text": reply, "finish_reason": finish} if text else
                           {"index": index, "message": {"role": "assistant", "content": reply}, "finish_reason": finish})
        self.stats.answered[key] += 1
        payload = {
            "id": f"{'cmpl' if text else 'chatcmpl'}-{key}",
            "object": "text_completion" if text else "chat.completion",
            "created": 0,
            "model": body.get("model", knobs.model),
            "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        headers = {WRONG_STEP_HEADER: ",".join("-" if w is None else str(w) for w in wrong_steps)}
        return web.Response(body=json.dumps(payload).encode(), content_type="application/json", headers=headers)


def parse_chatml(prompt: str) -> list[dict[str, str]]:
    """The chat a CHAT_TEMPLATE prompt renders (its final message may be left open); a prompt in no
    chat format is one user message."""
    if not isinstance(prompt, str):
        raise TypeError("`prompt` must be a string")
    if not prompt.startswith("<|im_start|>"):
        return [{"role": "user", "content": prompt}]
    messages = []
    for part in prompt.split("<|im_start|>")[1:]:
        role, _, rest = part.partition("\n")
        content, closed, _ = rest.partition("<|im_end|>\n")
        messages.append({"role": role, "content": content})
        if not closed:
            break
    return messages


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": code, "code": code}}
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json", headers=headers)


def bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A listening socket; with `reuse_port` several server processes share one port (SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


async def serve(sim: TeacherSim, sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(sim.app(), handler_cancellation=True, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=4096).start()
    return runner


def serve_forever(problems: list[Problem], knobs: SimKnobs, host: str, port: int, reuse_port: bool = False) -> None:
    """Run one server process until interrupted (the CLI's and the benchmark's entry point)."""
    sim = TeacherSim(problems, knobs)

    async def main() -> None:
        runner = await serve(sim, bind(host, port, reuse_port))
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        run_loop(main())
    except KeyboardInterrupt:
        pass


class RunningSim:
    """teacher-sim on a free port in a background thread: `with start_sim(...) as sim: sim.base_url`."""

    def __init__(self, problems: list[Problem], knobs: SimKnobs, host: str = "127.0.0.1"):
        self.sim = TeacherSim(problems, knobs)
        self._sock = bind(host, 0)
        self.base_url = f"http://{host}:{self._sock.getsockname()[1]}/v1"
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._runner = self._loop.run_until_complete(serve(self.sim, self._sock))
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="teacher-sim", daemon=True)
        self._thread.start()
        started.wait()

    def stats(self, detail: bool = False) -> dict[str, Any]:
        return asyncio.run_coroutine_threadsafe(self._summary(detail), self._loop).result()

    async def _summary(self, detail: bool) -> dict[str, Any]:
        return json.loads(json.dumps(self.sim.stats.summary(detail)))

    def close(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_sim(config: PipelineConfig, knobs: SimKnobs | None = None, limit: int | None = None) -> RunningSim:
    knobs = knobs or SimKnobs(seed=config.seed)
    return RunningSim(problems_of(config, limit), knobs)
