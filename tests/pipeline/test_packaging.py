"""A plain wheel (what `pip install .` installs) carries the templates, pipelines and data it needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_finds_its_resources_without_the_checkout(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path / "wheel")],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("cotsynth-*.whl")
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    probe = (
        "import sys; sys.path = [p for p in sys.path if p != {root!r} + '/src']; sys.path.insert(0, {site!r});"
        "import cotsynth, cotsynth.tasks as t; from cotsynth.resources import find_pipeline, resource_dir;"
        "assert cotsynth.__file__.startswith({site!r}), cotsynth.__file__;"
        "print(find_pipeline('quickstart')); print(resource_dir('data'));"
        "print(all(t.get(n).templates() for n in t.names()))"
    ).format(root=str(ROOT), site=str(tmp_path / "site"))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    quickstart, data, templates_ok = result.stdout.split()
    assert "_resources/pipelines/quickstart.yaml" in quickstart
    assert data.endswith("_resources/data") and templates_ok == "True"
