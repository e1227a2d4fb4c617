"""Executors run the pipeline's work; the stages never know which one runs them.

Two kinds of work: `map` runs the unit processor over work units (yielding `UnitResult`s in
completion order: the driver orders them by unit), and `imap` runs a pure function over argument
tuples, results in order (the finalize steps: folding each unit's shipped rows into the report, the
report's sample metrics). `local` runs both in this process (tests, tiny runs). `ray` runs them on
one pool of Ray actors, kept from the first unit to the last report job, embedded on this machine by
default or joined to a cluster (`--ray-address` / `RAY_ADDRESS`). The output bytes match.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cotsynth.config import PipelineConfig, parse_config
from cotsynth.pipeline.stages import UnitProcessor, UnitResult
from cotsynth.pipeline.units import WorkUnit


UNITS_IN_FLIGHT = 2  # per Ray actor: the next call is queued while one runs


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None):
        if workers not in (None, 1):
            raise ValueError("the local executor runs in this process: use --executor ray for --workers > 1")
        self.workers = 1

    def map(
        self, config: PipelineConfig, units: list[WorkUnit], save: Callable[[UnitResult], UnitResult] | None = None
    ) -> Iterator[UnitResult]:
        processor = UnitProcessor(config)
        for unit in units:
            result = processor(unit)
            yield save(result) if save else result

    def imap(self, fn: Callable, items: Iterable[tuple]) -> Iterator[Any]:
        return (fn(*args) for args in items)

    def shutdown(self) -> None:
        """Nothing to release: the stages ran in this process."""

    def describe(self) -> dict[str, object]:
        return {"executor": self.name, "workers": 1}


class UnitWorker:
    """The Ray actor: processes units (one UnitProcessor per config, rebuilt after a restart) and runs
    the pure finalize calls."""

    def __init__(self) -> None:
        self.config_json: str | None = None
        self.processor: UnitProcessor | None = None

    def process(
        self, config_json: str, parallel_units: int, unit: WorkUnit, save: Callable | None, driver_node: str
    ) -> UnitResult:
        """Process a unit; on the driver's node, save its tables here and send back only the stats."""
        import ray

        if config_json != self.config_json:
            document, base_dir = json.loads(config_json)
            self.processor = UnitProcessor(parse_config(document, base_dir=base_dir), parallel_units)
            self.config_json = config_json
        result = self.processor(unit)
        if save is not None and ray.get_runtime_context().get_node_id() == driver_node:
            return save(result)
        return result

    def call(self, fn: Callable, *args: Any) -> Any:
        return fn(*args)


def _absolute_paths(config: PipelineConfig) -> dict:
    """The config with its paths made absolute: actors need not share the driver's working dir
    (the teacher stage writes its answer cache from inside them)."""
    document = config.canonical()
    document["output"]["dir"] = os.path.abspath(document["output"]["dir"])
    for trace in document["traces"]:
        if trace.get("cache_dir"):
            trace["cache_dir"] = os.path.abspath(trace["cache_dir"])
    return document


def resolve_ray_address(address: str | None) -> str:
    """`--ray-address`, else `RAY_ADDRESS`, else a new local instance (never a stray `ray start`)."""
    return address or os.environ.get("RAY_ADDRESS") or "local"


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.address = resolve_ray_address(address)
        self.workers = workers or 0
        self.started_ray = False
        self.actors: list = []

    def _init(self) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(
                address=self.address,
                include_dashboard=False,
                ignore_reinit_error=True,
                logging_level="ERROR",
                log_to_driver=False,
            )
            self.started_ray = True
        if not self.workers:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        logging.getLogger("ray").setLevel(logging.ERROR)

    def _pool(self, num_cpus: float = 1) -> list:
        """The actors, started on first use and kept until shutdown. A dead actor is restarted and
        its call retried by Ray (max_restarts / max_task_retries): every call is a pure function of
        its arguments, so no unit is lost or done twice."""
        if not self.actors:
            import ray

            self._init()
            worker = ray.remote(UnitWorker).options(num_cpus=num_cpus, max_restarts=-1, max_task_retries=-1)
            self.actors = [worker.remote() for _ in range(self.workers)]
        return self.actors

    def map(
        self, config: PipelineConfig, units: list[WorkUnit], save: Callable[[UnitResult], UnitResult] | None = None
    ) -> Iterator[UnitResult]:
        """A pool of actors fed from a queue, a few units in flight each so none waits between units.

        `save(result)` writes a result's tables where the driver reads them and returns it without
        them: actors on the driver's node call it themselves, so a unit's tables never cross the
        object store; an actor on another node sends them, and they are saved here, on the driver.

        Plain actors rather than Ray Data: on this 2-core machine Ray Data's actor pool kept each
        worker ~70% busy (59% scaling), plain actors over 90% (benchmarks/throughput.py).
        """
        if not units:
            return
        import ray

        # Teacher stages wait on the network: fractional CPUs, or a pool claiming every CPU can hang
        # (ray#44687); each actor keeps its share of max_concurrency in flight.
        teacher = any(t.source == "teacher" for t in config.traces)
        actors = self._pool(num_cpus=0.25 if teacher else 1)
        config_json = ray.put(json.dumps([_absolute_paths(config), config.base_dir]))  # a dataset path starts there
        driver_node = ray.get_runtime_context().get_node_id()
        busy = min(len(actors), len(units))  # actors sharing a teacher's max_concurrency
        queue = list(reversed(units))
        pending: dict = {}

        def submit(actor) -> None:
            if queue:
                unit = queue.pop()
                call = actor.process.remote(config_json, busy, unit, save, driver_node)
                pending[call] = actor

        for actor in actors:
            for _ in range(UNITS_IN_FLIGHT):
                submit(actor)
        while pending:
            (done,), _ = ray.wait(list(pending), num_returns=1)
            actor = pending.pop(done)
            result = ray.get(done)
            submit(actor)
            yield save(result) if save is not None and result.records is not None else result

    def imap(self, fn: Callable, items: Iterable[tuple]) -> Iterator[Any]:
        """fn(*args) for each tuple on the actors, results in order. Calls are submitted before this
        returns, so the caller can work meanwhile: all of a list at once (it is in memory already);
        from an iterator at most UNITS_IN_FLIGHT per actor, drawn only as fast as results are taken."""
        import ray

        actors = self._pool()
        window = len(items) if isinstance(items, (list, tuple)) else UNITS_IN_FLIGHT
        items = iter(items)
        load = [0] * len(actors)
        pending: dict = {}  # call -> (its index in items, its actor's index)
        finished: dict[int, Any] = {}  # index -> call
        submitted = 0

        def fill() -> None:
            nonlocal submitted
            while True:
                k = min(range(len(actors)), key=lambda k: load[k])  # the least loaded, first on ties
                if load[k] >= window:
                    return
                args = next(items, None)
                if args is None:
                    return
                pending[actors[k].call.remote(fn, *args)] = (submitted, k)
                load[k] += 1
                submitted += 1

        def results() -> Iterator[Any]:
            for index in itertools.count():
                while index not in finished:
                    if not pending:
                        return
                    (done,), _ = ray.wait(list(pending), num_returns=1)
                    position, k = pending.pop(done)
                    finished[position] = done
                    load[k] -= 1
                    fill()
                yield ray.get(finished.pop(index))

        fill()
        return results()

    def shutdown(self) -> None:
        if self.actors:
            import ray

            for actor in self.actors:
                ray.kill(actor)
            self.actors = []
        if self.started_ray:
            import ray

            ray.shutdown()
            self.started_ray = False

    def describe(self) -> dict[str, object]:
        return {"executor": self.name, "workers": self.workers, "ray_address": self.address}


def make_executor(name: str, workers: int | None = None, ray_address: str | None = None):
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(workers, ray_address)
    raise ValueError(f"unknown executor {name!r}: use ray or local")
