"""teacher-sim in-process; every test talks HTTP to it through the real `openai` client."""

from __future__ import annotations

from typing import Any

import pytest
from teacher_docs import DOC

from cotsynth.config import parse_config
from cotsynth.teacher.sim import SimKnobs, start_sim


@pytest.fixture
def sim_factory():
    """Start teacher-sim for the problems of DOC with the given knobs; closed after the test."""
    running = []

    def start(doc: dict[str, Any] = DOC, **knobs: Any):
        sim = start_sim(parse_config(doc), SimKnobs(seed=3, **knobs))
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.close()
