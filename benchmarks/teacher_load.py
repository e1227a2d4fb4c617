"""How hard the teacher stage drives an endpoint: achieved requests/s against Little's law.

Starts `cotsynth teacher-sim` with a fixed latency in separate processes (so the server's CPU is not
counted as the client's), then for each concurrency C measures, over the same requests:
- baseline: a plain `AsyncOpenAI` loop behind an `asyncio.Semaphore` in one process (parsed responses);
- stage: the teacher stage's own request path (`TeacherClient.complete`: cache, pacing, retries,
  validated JSON) spread over `--client-processes` processes, each keeping its share of C in flight.
The bound is C / latency; client CPU is the client processes' CPU seconds per wall second (100% = one
core), and `ms/req` the client's CPU milliseconds per request (the figure a busy machine moves least). Usage: python benchmarks/teacher_load.py [--latency-ms 100] [--concurrency 64 256 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import openai

from cotsynth.config import parse_config
from cotsynth.teacher.report import percentile
from cotsynth.teacher.sim import problems_of

PIPELINE = {
    "name": "teacher-load",
    "seed": 1234,
    "tasks": [{"family": "arith", "count": 100_000, "knobs": {"steps": [2, 5], "digits": [1, 2]}}],
    "traces": [{"source": "teacher", "endpoint": {"base_url": "http://127.0.0.1:1/v1", "model": "sim"},
                "samples": 1, "few_shot": 0, "max_retries": 3, "timeout": 60}],
    "output": {"dir": "unused"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(pipeline: Path, port: int, latency_ms: float, processes: int, limit: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "cotsynth.cli", "teacher-sim", "--pipeline", str(pipeline), "--port", str(port),
               "--latency-ms", str(latency_ms), "--limit", str(limit), "--processes", str(processes), "--model", "sim"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("teacher-sim did not start")


def session_cpu(session: int) -> float:
    """CPU seconds used so far by the processes of a session (the teacher-sim server processes)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def baseline(base_url: str, questions: list[str], concurrency: int) -> None:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="EMPTY")
    slots = asyncio.Semaphore(concurrency)

    async def one(question: str) -> None:
        async with slots:
            await client.chat.completions.create(model="sim", messages=[{"role": "user", "content": question}])

    await asyncio.gather(*(one(q) for q in questions))
    await client.close()


async def ask(stage, requests: list) -> tuple[list, dict]:
    from cotsynth.teacher.client import TeacherClient

    async with TeacherClient(stage.spec, stage.cache, stage.concurrency) as client:
        answers = await asyncio.gather(*(client.complete(r) for r in requests))
    return answers, client.stats.to_dict()


def stage_worker(document: dict, start: int, stop: int, parallel: int, cache: str, ready, go, results) -> None:
    from cotsynth.core.loop import run_loop
    from cotsynth.teacher.stage import TeacherStage

    document = {**document, "traces": [{**document["traces"][0], "cache_dir": cache}]}
    config = parse_config(document)
    spec = config.traces[0]
    stage = TeacherStage(config, spec, Path(cache), max(1, -(-spec.max_concurrency // parallel)))
    problems = problems_of(config, stop)[start:stop]
    requests = [r for p in problems for r in stage.requests(p, "arith")]
    ready.release()
    go.wait()
    cpu = time.process_time()
    answers, stats = run_loop(ask(stage, requests))
    failed = sum(a.failure is not None for a in answers)
    results.put((time.process_time() - cpu, failed, stats["latencies_ms"]))


def measure_stage(document: dict, n: int, processes: int) -> tuple[float, float, int, float | None]:
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Semaphore(0), context.Event(), context.Queue()
    cache = tempfile.mkdtemp(prefix="teacher-load-")
    share = -(-n // processes)
    workers = [context.Process(target=stage_worker, args=(document, k * share, min(n, (k + 1) * share), processes,
                                                           cache, ready, go, results)) for k in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    outcomes = [results.get(timeout=600) for _ in workers]  # a dead worker fails the run, not hangs it
    wall = time.perf_counter() - started
    for worker in workers:
        worker.join()
    shutil.rmtree(cache, ignore_errors=True)
    latencies = [x for _, _, ms in outcomes for x in ms]
    return n / wall, sum(c for c, _, _ in outcomes) / wall, sum(f for _, f, _ in outcomes), percentile(latencies, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--requests", type=int, default=0, help="per concurrency (default: max(4000, 8 C))")
    parser.add_argument("--server-processes", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="measure the stage only")
    args = parser.parse_args()
    counts = {c: args.requests or max(4000, 8 * c) for c in args.concurrency}
    limit = max(counts.values())

    folder = Path(tempfile.mkdtemp(prefix="teacher-load-"))
    pipeline = folder / "pipeline.yaml"
    import yaml

    pipeline.write_text(yaml.safe_dump(PIPELINE))
    port = free_port()
    server = start_server(pipeline, port, args.latency_ms, args.server_processes, limit)
    base_url = f"http://127.0.0.1:{port}/v1"
    questions = [p.question for p in problems_of(parse_config(PIPELINE), limit)]
    print(f"teacher-sim: {args.server_processes} process(es), fixed latency {args.latency_ms:.0f} ms; "
          f"{os.cpu_count()} CPUs; client: stage in {args.client_processes} process(es)")
    print(f"{'C':>5} {'bound/s':>8} | {'baseline/s':>10} {'%bound':>6} {'cpu':>5} | {'stage/s':>8} {'%bound':>6} {'cpu':>5} "
          f"{'ms/req':>6} {'p50 ms':>7} {'failed':>6} | {'server':>6}")
    try:
        for concurrency in args.concurrency:
            n = counts[concurrency]
            bound = concurrency / (args.latency_ms / 1000)
            base_rate = base_cpu = float("nan")
            if not args.no_baseline:
                cpu = time.process_time()
                started = time.perf_counter()
                asyncio.run(baseline(base_url, questions[:n], concurrency))
                wall = time.perf_counter() - started
                base_rate, base_cpu = n / wall, (time.process_time() - cpu) / wall
            document = {**PIPELINE, "traces": [{**PIPELINE["traces"][0], "max_concurrency": concurrency,
                                                "endpoint": {"base_url": base_url, "model": "sim"}}]}
            server_cpu, started = session_cpu(server.pid), time.perf_counter()
            rate, stage_cpu, failed, p50 = measure_stage(document, n, args.client_processes)
            server_cpu = (session_cpu(server.pid) - server_cpu) / (time.perf_counter() - started)
            print(f"{concurrency:>5} {bound:>8.0f} | {base_rate:>10.0f} {100 * base_rate / bound:>5.0f}% {100 * base_cpu:>4.0f}% "
                  f"| {rate:>8.0f} {100 * rate / bound:>5.0f}% {100 * stage_cpu:>4.0f}% {1000 * stage_cpu / rate:>6.2f} "
                  f"{p50:>7.1f} {failed:>6} | {100 * server_cpu:>5.0f}%",
                  flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
