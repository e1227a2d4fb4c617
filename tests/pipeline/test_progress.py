"""Progress users can read: every phase's count in the log of a piped run, and the drop reasons in
the final summary (the teacher's live figures: tests/teacher/test_live_progress.py)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml
from rich.console import Console

from cotsynth.pipeline.progress import Lines
from cotsynth.run_display import RunDisplay

LOG_LINE = re.compile(r"^quickstart \(local\) \d+:\d\d:\d\d \| ")


def run_cli(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`cotsynth run` with stdout and stderr piped (no terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "cotsynth.cli", "run", *args, "--executor", "local", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, env=os.environ | env, cwd=tmp_path,
    )


def test_a_piped_run_logs_every_phase_periodically(tmp_path):
    done = run_cli(tmp_path, "quickstart", "--limit", "1500", env={"COTSYNTH_PROGRESS_LOG_SECONDS": "0.2"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if LOG_LINE.match(line)]
    assert len(lines) >= 3, done.stderr  # periodic lines while it runs, and the last one at the end
    assert any("units " in line and "/1,500 problems" in line and not line.count("1,500/1,500") for line in lines[:-1])
    final = lines[-1]
    assert "units 1,500/1,500 problems (15/15 units)" in final
    assert "curation 5/5 stages (select done)" in final
    rows = sum(c for split in json.loads((tmp_path / "out" / "manifest.json").read_text())["counts"]["splits"].values()
               for name, c in split.items() if name in ("data", "sft", "rl", "prm"))
    assert f"write {rows:,}/{rows:,} rows" in final
    jobs = re.search(r"report (\d+)/(\d+) jobs", final)
    assert jobs and jobs[1] == jobs[2] and int(jobs[2]) > 1
    assert "\x1b[" not in done.stderr  # no terminal control codes in a log


def test_the_summary_says_why_rows_were_dropped(tmp_path, tiny_document):
    doc = tiny_document | {"tasks": [{"family": "arith", "count": 300, "knobs": {"steps": 2, "digits": 1, "ops": ["+"]}}]}
    pipeline = tmp_path / "dupes.yaml"
    pipeline.write_text(yaml.safe_dump(doc))
    done = run_cli(tmp_path, str(pipeline), env={})
    assert done.returncode == 0, done.stderr[-2000:]
    drops = [json.loads(line) for line in (tmp_path / "out" / "drops.jsonl").read_text().splitlines()]
    by_reason = Counter(f"{d['stage']}: {d['reason'].split(':')[0]}" for d in drops)
    assert by_reason["dedup: exact_duplicate_of"] > 0
    for reason, n in by_reason.items():
        assert f"dropped {n}: {reason}" in done.stdout


def test_a_bad_log_interval_is_a_one_line_error(tmp_path):
    done = run_cli(tmp_path, "quickstart", "--limit", "100", env={"COTSYNTH_PROGRESS_LOG_SECONDS": "soon"})
    assert done.returncode == 2
    assert done.stderr.strip() == "error: COTSYNTH_PROGRESS_LOG_SECONDS: 'soon' is not a number of seconds"


def test_a_phase_rate_runs_from_its_start_to_its_end():
    clock = iter([0.0, 1.0, 3.0, 5.0, 9.0]).__next__
    lines = Lines(now=clock)  # created at 0
    assert [line.text() for line in lines({"write.total": 100})] == ["write 0/100 rows"]  # seen at 0: starts at 1 s
    assert lines({"write.total": 100, "write.done": 40})[0].text() == "write 40/100 rows 20.0/s ETA 0:00:03"
    assert lines({"write.total": 100, "write.done": 100})[0].text() == "write 100/100 rows 25.0/s ETA 0:00:00"
    assert lines({"write.total": 100, "write.done": 100})[0].rate == 25.0  # its clock stopped when it finished


def test_on_a_terminal_the_display_draws_a_line_per_phase():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160)
    with RunDisplay(console, "demo", every=10) as display:
        display.update({"units.total": 3000, "units.problems": 1200, "units.done": 12, "units.count": 30,
                        "teacher.total": 400, "teacher.done": 100, "teacher.in_flight": 16, "teacher.retries": 2,
                        "curation.total": 5})
        console.print(display._render())
    drawn = out.getvalue()
    for text in ("units", "1,200/3,000 problems", "12/30 units", "teacher", "100/400 requests", "16 in flight, 2 retries",
                 "curation", "0/5 stages"):
        assert text in drawn
    assert "demo  0:00:00" in drawn and " | " not in drawn  # the title and its clock; no log line on a terminal
