"""A SIGKILLed run resumes without paying twice; Ray actors write what the local executor writes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml
from teacher_docs import document

from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.teacher.cache import CACHE_FILE
from cotsynth.pipeline.outdir import TEACHER_CACHE


def parquet_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def cached_answers(out: Path) -> int:
    path = out / TEACHER_CACHE / CACHE_FILE
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cotsynth.cli", "run", *args, "--executor", "local"]


def test_sigkill_then_resume_requests_only_what_is_not_cached(sim_factory, tmp_path):
    doc = document("http://unused/v1", max_concurrency=4, samples=2)
    doc["tasks"][0]["count"] = 120
    total = 120 * 2
    sim = sim_factory(doc, latency_ms=20)
    doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(doc))
    out = tmp_path / "killed"

    child = subprocess.Popen(cli(str(pipeline), "--out", str(out)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while cached_answers(out) < total // 3:
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    cached = cached_answers(out)
    assert cached < total and not (out / "manifest.json").exists()
    sent_before = sim.stats()["requests"]

    resumed = subprocess.run(cli(str(pipeline), "--out", str(out), "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert sim.stats()["requests"] - sent_before == total - cached

    reference = tmp_path / "reference"
    run_pipeline(parse_config(doc | {"output": doc["output"] | {"dir": str(reference)}}),
                 RunOptions(out_dir=reference, executor="local"))
    assert parquet_bytes(out) == parquet_bytes(reference)


def test_ray_actors_write_the_same_output(sim_factory, tmp_path, ray_session):
    doc = document("http://unused/v1", samples=1, max_concurrency=32)
    doc["tasks"][0]["count"] = 300  # two work units: two actors
    sim = sim_factory(doc, latency_ms=2, p_wrong_step=0.2, p_429=0.05)
    doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
    outputs = {}
    for executor in ("ray", "local"):
        out = tmp_path / executor
        config = parse_config(doc | {"output": doc["output"] | {"dir": str(out)}})
        manifest = run_pipeline(config, RunOptions(out_dir=out, executor=executor, workers=2 if executor == "ray" else None))
        assert manifest["counts"]["teacher"][0]["problems"]["in"] == 300
        outputs[executor] = parquet_bytes(out)
    assert outputs["ray"] == outputs["local"]
