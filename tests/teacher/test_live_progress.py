"""The teacher's live figures: counts from Ray workers that arrive while a unit still runs, requests
in flight and retries as they happen, against teacher-sim with latency and some 429s."""

from __future__ import annotations

import re

from teacher_docs import document

from cotsynth.config import parse_config
from cotsynth.core import progress
from cotsynth.pipeline.progress import Lines
from cotsynth.pipeline.run import RunOptions, run_pipeline


def watched_run(sim_factory, tmp_path, executor: str) -> tuple[list[dict[str, float]], dict]:
    """A one-unit run against teacher-sim with latency and some 429s, its counts polled every 20 ms."""
    doc = document("http://unused/v1", out=str(tmp_path / executor), max_concurrency=4, samples=2, max_retries=8)
    sim = sim_factory(doc, latency_ms=60, p_429=0.15, retry_after_s=0.01)
    doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
    seen: list[dict[str, float]] = []
    options = RunOptions(out_dir=tmp_path / executor, executor=executor, workers=1 if executor == "ray" else None,
                         progress_seconds=0.02)
    manifest = run_pipeline(parse_config(doc), options, on_progress=seen.append)
    return seen, manifest


def test_ray_workers_report_within_a_unit(ray_session, sim_factory, tmp_path):
    seen, manifest = watched_run(sim_factory, tmp_path, "ray")
    total = seen[-1]["teacher.total"]
    assert total == 80 and seen[-1]["units.count"] == 1
    mid_unit = [c for c in seen if c.get("units.done", 0) == 0 and 0 < c.get("teacher.done", 0) < total]
    assert len({c["teacher.done"] for c in mid_unit}) >= 2  # several updates before the one unit finished
    assert any(c.get("teacher.in_flight", 0) > 0 for c in mid_unit)
    assert any(c.get("teacher.retries", 0) > 0 for c in mid_unit)
    assert seen[-1]["teacher.done"] == total and seen[-1]["units.done"] == 1
    assert seen[-1]["teacher.retries"] == manifest["counts"]["teacher"][0]["requests"]["retries"]


def test_the_teacher_line_shows_requests_in_flight(sim_factory, tmp_path):
    seen, _ = watched_run(sim_factory, tmp_path, "local")
    lines = Lines()
    texts = [line.text() for counts in seen for line in lines(counts) if line.phase.name == "teacher"]
    flying = [int(m[1]) for text in texts if (m := re.search(r"\((\d+) in flight", text))]
    assert max(flying) > 0 and flying[-1] == 0
    assert texts[-1].startswith("teacher 80/80 requests (0 in flight, ")
    assert progress.get("teacher.done") == 80  # the local executor's requests ran in this process
