"""Helpers of the family-file tests."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import pytest
import yaml
from click.testing import CliRunner

from cotsynth import tasks


@pytest.fixture
def registry_restored():
    """Families a test registers (a file it previews) do not leak into other tests' `tasks.names()`."""
    saved = dict(tasks._REGISTRY)
    yield
    tasks._REGISTRY.clear()
    tasks._REGISTRY.update(saved)


@pytest.fixture
def preview_error(tmp_path: Path) -> Callable[[dict[str, Any], Callable[[dict], Any]], str]:
    """`cotsynth preview` of `document` changed by `mutate`: asserts exit 2 with one `error:` line and
    no traceback, and returns the output."""
    from cotsynth.cli import main

    def run(document: dict[str, Any], mutate: Callable[[dict], Any]) -> str:
        changed = copy.deepcopy(document)
        mutate(changed)
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(changed, sort_keys=False))
        result = CliRunner().invoke(main, ["preview", str(path), "-n", "1"])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines[0].startswith("error: "), lines
        return result.output

    return run


@pytest.fixture
def run_in_tmp(tmp_path: Path) -> Callable[[dict[str, Any]], datasets.DatasetDict]:
    """`cotsynth run` of `pipeline` written to the test's dir, in a real process, then the output
    read back with `datasets.load_dataset`."""

    def run(pipeline: dict[str, Any]) -> datasets.DatasetDict:
        (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
        process = subprocess.run(
            [sys.executable, "-m", "cotsynth.cli", "run", "pipeline.yaml", "--executor", "local"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )
        assert process.returncode == 0, process.stderr
        return datasets.load_dataset(str(tmp_path / "out"), cache_dir=str(tmp_path / "hf-cache"))

    return run
