"""Shared fixtures: one embedded Ray per test session (starting Ray costs seconds), tiny configs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

TINY: dict[str, Any] = {
    "name": "tiny",
    "seed": 7,
    "tasks": [{"family": "arith", "count": 120, "knobs": {"steps": [2, 4], "digits": [1, 2], "ops": ["+", "-", "*", "/"]}}],
    "traces": [{"source": "symbolic", "granularity": ["answer", "coarse", "fine"], "style": "steps"}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unused", "shard_rows": 100, "formats": ["sft", "rl", "prm"]},
}


@pytest.fixture
def tiny_config() -> dict[str, Any]:
    return copy.deepcopy(TINY)


@pytest.fixture(scope="session")
def tiny_document() -> dict[str, Any]:
    """The tiny config for session- or module-scoped fixtures; copy before changing it."""
    return copy.deepcopy(TINY)


@pytest.fixture
def write_yaml(tmp_path: Path):
    def write(document: Any, name: str = "pipeline.yaml") -> Path:
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
        return path

    return write


@pytest.fixture(scope="session")
def ray_session():
    """Embedded Ray with 2 CPUs, started once and shared by every test that needs it."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


def pytest_addoption(parser):
    parser.addoption(
        "--repin", action="store_true", help="rewrite tests/pipeline/output_pins.json from this code's outputs"
    )
