"""Fixtures: a running fake Hub (fake_hub.py) and a real, finished output dir to publish."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from fake_hub import FakeHub

from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline


@pytest.fixture
def hub():
    fake = FakeHub()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_document) -> Path:
    """A real output dir (tiny config, in-process executor); copy it before changing it."""
    document = dict(tiny_document, tasks=[dict(tiny_document["tasks"][0], count=40)])
    out = tmp_path_factory.mktemp("finished") / "out"
    run_pipeline(parse_config(document), RunOptions(out_dir=out, executor="local"))
    return out


@pytest.fixture
def out_dir(finished_run, tmp_path) -> Path:
    """A private copy of the finished run, plus the leftovers publish must not upload."""
    out = tmp_path / "out"
    shutil.copytree(finished_run, out)
    (out / ".cotsynth" / "parts").mkdir(parents=True)
    (out / ".cotsynth" / "parts" / "u0.stats.json").write_text("{}")
    (out / "data" / ".train-00001-of-00002.parquet.tmp").write_bytes(b"half a shard")
    (out / "report.json.tmp").write_text("{")
    return out
