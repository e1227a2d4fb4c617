"""Kill a run (SIGKILL of its whole process group) at several points; --resume gives the same bytes."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cotsynth.cli import main

PROBLEMS = 800  # 8 units of 100: enough to kill a run after 3 and still have work left


def parquet_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, tiny_document) -> Path:
    document = json.loads(json.dumps(tiny_document))
    document["tasks"][0]["count"] = PROBLEMS
    document["output"]["shard_rows"] = 500
    path = tmp_path_factory.mktemp("resume") / "pipeline.yaml"
    path.write_text(json.dumps(document))  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def uninterrupted(pipeline, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("whole") / "out"
    result = CliRunner().invoke(main, ["run", str(pipeline), "--executor", "local", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return parquet_bytes(out)


def start(pipeline: Path, out: Path, *extra: str, preexec_fn=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cotsynth.cli", "run", str(pipeline), "--executor", "local", "--out", str(out), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, killed as a whole
        preexec_fn=preexec_fn,
    )


def kill_when(process: subprocess.Popen, condition, timeout: float = 120.0) -> bool:
    """SIGKILL the process group as soon as `condition()` holds; False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if condition():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    raise AssertionError("the run neither finished nor reached the kill point")


@pytest.mark.parametrize(
    "kill_point",
    [
        pytest.param(lambda out: (out / ".cotsynth" / "run.json").exists(), id="at-start"),
        pytest.param(lambda out: len(list((out / ".cotsynth" / "parts").glob("*.stats.json"))) >= 3, id="after-3-units"),
        pytest.param(lambda out: (out / "data").exists(), id="while-writing-shards"),
    ],
)
def test_killed_then_resumed_run_is_byte_identical(pipeline, uninterrupted, tmp_path, kill_point):
    out = tmp_path / "out"
    process = start(pipeline, out)
    killed = kill_when(process, lambda: kill_point(out))
    if killed:
        assert not (out / "manifest.json").exists()
        refused = start(pipeline, out)
        assert refused.wait() == 2, "an interrupted dir is refused without --resume"
        assert b"--resume" in refused.stderr.read()
    resumed = start(pipeline, out, "--resume")
    assert resumed.wait() == 0, resumed.stderr.read().decode()
    assert parquet_bytes(out) == uninterrupted
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    ids = [line for line in (out / "drops.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids))


def test_resume_refuses_a_different_config(pipeline, tmp_path, tiny_document):
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(pipeline), "--executor", "local", "--out", str(out), "--limit", "30"]).exit_code == 0
    result = CliRunner().invoke(main, ["run", str(pipeline), "--executor", "local", "--out", str(out), "--resume"])
    assert result.exit_code == 2
    assert "different config" in result.output


def test_full_disk_fails_cleanly_and_resume_completes(pipeline, uninterrupted, tmp_path):
    """Once 3 units are saved, the run's files may no longer grow (RLIMIT_FSIZE 0: every write fails
    as on a full disk). It must stop with a one-line error naming --resume; the resumed run is whole."""
    out = tmp_path / "out"
    process = start(pipeline, out, preexec_fn=lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN))
    deadline = time.monotonic() + 120
    while len(list((out / ".cotsynth" / "parts").glob("*.stats.json"))) < 3:
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before the disk filled"
        time.sleep(0.002)
    resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
    assert process.wait(timeout=120) == 2
    error = process.stderr.read().decode()
    assert "--resume" in error and "Traceback" not in error, error
    assert not (out / "manifest.json").exists()
    resumed = start(pipeline, out, "--resume")
    assert resumed.wait() == 0, resumed.stderr.read().decode()
    assert parquet_bytes(out) == uninterrupted
