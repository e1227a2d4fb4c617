"""The shipped pipelines' outputs, pinned: sha256 of data/, the views, report.json and drops.jsonl
of each at `--limit 200`. A change that moves any output byte fails here; a change that means to
(a new record field, a new split rule) re-pins with `pytest tests/pipeline/test_output_pins.py
--repin` and says which pipeline moved and why."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cotsynth.config import load_config
from cotsynth.pipeline import run as run_module
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.resources import find_pipeline

PINS = Path(__file__).with_name("output_pins.json")
PIPELINES = ["quickstart", "granularity", "two_hop_coverage", "kg_hops", "instruction_diversity"]
LIMIT = 200


def output_hashes(out: Path) -> dict[str, str]:
    """sha256 of every file the pin covers: shards of data/ and of each view, the report, the drops."""
    paths = [*sorted(out.glob("*/*.parquet")), out / "report.json", out / "drops.jsonl"]
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def run_shipped(name: str, out: Path, executor: str = "local", workers: int | None = None) -> dict[str, str]:
    config = load_config(find_pipeline(name))
    run_pipeline(config, RunOptions(out_dir=out, executor=executor, workers=workers, limit=LIMIT))
    return output_hashes(out)


@pytest.fixture(scope="module")
def pins(request) -> dict[str, dict[str, str]]:
    if request.config.getoption("--repin"):
        return {}
    return json.loads(PINS.read_text())


@pytest.fixture(scope="module", autouse=True)
def repinned(request):
    """With --repin: the tests below record their hashes here, written to PINS at the end."""
    fresh: dict[str, dict[str, str]] = {}
    yield fresh
    if request.config.getoption("--repin") and fresh:
        merged = json.loads(PINS.read_text()) if PINS.exists() else {}
        PINS.write_text(json.dumps(merged | fresh, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("name", PIPELINES)
def test_shipped_pipeline_output_is_pinned(name, tmp_path, pins, repinned, request):
    hashes = run_shipped(name, tmp_path / name)
    assert any(p.startswith("data/") for p in hashes) and any(p.startswith("sft/") for p in hashes)
    if request.config.getoption("--repin"):
        repinned[name] = hashes
        return
    assert hashes == pins[name], f"{name}: output bytes moved; if on purpose, re-pin with --repin and say why"


@pytest.mark.parametrize("report_on", ["driver", "workers"])
def test_ray_gives_the_pinned_bytes(ray_session, tmp_path, pins, request, monkeypatch, report_on):
    """Ray gives the local bytes, with the report in the driver (a small run) or on the actors."""
    if request.config.getoption("--repin"):
        pytest.skip("pins come from the local executor")
    if report_on == "workers":
        monkeypatch.setattr(run_module, "REPORT_ON_WORKERS_ROWS", 0)
    assert run_shipped("quickstart", tmp_path / "ray", executor="ray", workers=2) == pins["quickstart"]
