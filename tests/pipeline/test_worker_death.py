"""A Ray worker killed mid-stage is retried by Ray: no record lost or duplicated, same bytes."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline


def map_worker_pids() -> list[int]:
    """Processes of the Ray executor's actors, found by the title Ray gives them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"PoolWorker" in title:
                pids.append(int(entry.name))
    return pids


def parquet_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.parquet"))}


def report_bytes(folder: Path) -> bytes:
    """report.json: at 1,500 problems its Vendi scores take the eigensolves of the large samples."""
    return (folder / "report.json").read_bytes()


def test_killed_ray_worker_is_retried_without_loss(ray_session, tmp_path, tiny_document):
    document = json.loads(json.dumps(tiny_document))
    document["tasks"][0]["count"] = 1_500  # 6 units
    config = parse_config(document)
    expected_out = tmp_path / "local"
    run_pipeline(config, RunOptions(out_dir=expected_out, executor="local"))

    out = tmp_path / "ray"
    outcome: dict = {}
    runner = threading.Thread(
        target=lambda: outcome.update(manifest=run_pipeline(config, RunOptions(out_dir=out, executor="ray", workers=2)))
    )
    runner.start()
    killed = None
    deadline = time.monotonic() + 120
    while runner.is_alive() and killed is None and time.monotonic() < deadline:
        parts = out / ".cotsynth" / "parts"
        done = len(list(parts.glob("*.stats.json"))) if parts.exists() else 0
        workers = map_worker_pids()
        if done >= 1 and workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.005)
    runner.join(timeout=300)
    assert not runner.is_alive()
    assert "manifest" in outcome, "the run must survive a killed worker"
    assert killed is not None, "the run ended before a worker could be killed; enlarge the config"
    assert parquet_bytes(out) == parquet_bytes(expected_out)
    assert report_bytes(out) == report_bytes(expected_out)
    assert outcome["manifest"]["counts"]["generate"]["problems"] == 1_500
