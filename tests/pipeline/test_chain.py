"""The step chain: steps in data-flow order, each timed by the chain, async steps on the loop, needs
combined from the steps; a new kind of step plugs in with one registration."""

from __future__ import annotations

import asyncio

import pytest

from cotsynth.config import parse_config
from cotsynth.pipeline import steps
from cotsynth.pipeline.chain import Needs, StepChain, UnitWork, combined_needs
from cotsynth.pipeline.steps import registry
from cotsynth.pipeline.units import WorkUnit


def test_kinds_run_in_data_flow_order():
    assert steps.kinds() == ["generate", "render", "verify", "negatives", "teacher", "records", "outputs"]


class Mark:
    """A toy step: records that it ran, and what it saw of the work so far."""

    def __init__(self, name: str, needs: Needs = Needs()):
        self.name, self.needs = name, needs

    def run(self, work: UnitWork) -> None:
        work.stats["seen_problems"] += len(work.problems)
        work.extra_stats.setdefault("order", []).append(self.name)


class AsyncMark(Mark):
    async def run(self, work: UnitWork) -> None:
        await asyncio.sleep(0)
        super().run(work)


def test_the_chain_times_every_step_and_runs_async_ones_on_the_loop():
    chain = StepChain([Mark("a"), AsyncMark("b", Needs(cpus=0.25, concurrency=8, is_async=True)), Mark("a")])
    result = chain(WorkUnit(0, 0, 3))
    assert result.stats["order"] == ["a", "b", "a"]
    timed = result.stats["seconds"]  # the runner times every step; no step times itself
    assert set(timed) == {"a", "b"} and all(s >= 0 for s in timed.values())
    assert result.stats["drops"] == [] and result.tables == {}
    assert chain.needs == Needs(cpus=0.25, concurrency=8, is_async=True)


def test_needs_come_from_the_steps(tiny_document):
    symbolic = combined_needs(steps.build_steps(parse_config(tiny_document)))
    assert symbolic == Needs(cpus=1.0, concurrency=None, is_async=False)
    teacher = tiny_document | {
        "traces": [{"source": "teacher", "endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}, "max_concurrency": 10}]
    }
    needs = combined_needs(steps.build_steps(parse_config(teacher), workers=4))
    assert needs.cpus < 1 and needs.is_async and needs.concurrency == 10
    assert Needs(concurrency=10).share(4) == 3 and Needs(concurrency=10).share(20) == 1 and Needs().share(4) is None


def test_a_registered_kind_runs_where_it_was_placed(tiny_document):
    registry.register("mark", lambda config, workers: [Mark("mark")], after="verify")
    try:
        assert steps.kinds().index("mark") == steps.kinds().index("verify") + 1
        result = steps.build_chain(parse_config(tiny_document))(WorkUnit(0, 0, 5))
        assert result.stats["order"] == ["mark"] and result.stats["seen_problems"] == 5
        timed = result.stats["seconds"]
        assert "mark" in timed and result.tables["records"].num_rows > 0
    finally:
        registry._KINDS[:] = [kind for kind in registry._KINDS if kind[0] != "mark"]
    assert "mark" not in steps.kinds()


def test_register_after_an_unknown_kind_fails():
    with pytest.raises(ValueError):
        registry.register("mark", lambda config, workers: [], after="no-such-step")
