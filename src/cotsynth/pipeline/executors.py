"""Executors run the unit processor over work units; the stages never know which one runs them.

`local` runs in this process (tests, tiny runs). `ray` runs an actor pool under Ray Data, embedded on
this machine by default or joined to a cluster (`--ray-address` / `RAY_ADDRESS`). Both yield the same
`UnitResult`s (in completion order: the driver orders them by unit), so the output bytes match.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import pyarrow as pa

from cotsynth.config import PipelineConfig, parse_config
from cotsynth.pipeline.stages import UnitProcessor, UnitResult
from cotsynth.pipeline.units import WorkUnit


def table_to_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def table_from_bytes(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None):
        if workers not in (None, 1):
            raise ValueError("the local executor runs in this process: use --executor ray for --workers > 1")
        self.workers = 1

    def map(self, config: PipelineConfig, units: list[WorkUnit]) -> Iterator[UnitResult]:
        processor = UnitProcessor(config)
        for unit in units:
            yield processor(unit)

    def describe(self) -> dict[str, object]:
        return {"executor": self.name, "workers": 1}


class RayUnitProcessor:
    """The Ray actor: one UnitProcessor per worker process, fed one unit per call."""

    def __init__(self, config_json: str, parallel_units: int = 1):
        self.processor = UnitProcessor(parse_config(json.loads(config_json)), parallel_units)

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"key": [], "task_index": [], "start": [], "stop": [],
                                "records": [], "problems": [], "stats": []}
        for task_index, start, stop in zip(batch["task_index"], batch["start"], batch["stop"]):
            result = self.processor(WorkUnit(int(task_index), int(start), int(stop)))
            out["key"].append(result.unit.key)
            out["task_index"].append(result.unit.task_index)
            out["start"].append(result.unit.start)
            out["stop"].append(result.unit.stop)
            out["records"].append(table_to_bytes(result.records))
            out["problems"].append(table_to_bytes(result.problems))
            out["stats"].append(json.dumps(result.stats))
        return out


def _bound_processor(config_json: str, parallel_units: int) -> type:
    """A processor class with the config baked in (pickled by value): no constructor arguments
    in the object store, so Ray can restart a dead actor without them."""

    class BoundUnitProcessor(RayUnitProcessor):
        def __init__(self) -> None:
            super().__init__(config_json, parallel_units)

    return BoundUnitProcessor


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
        self.requested_workers = workers
        self.workers = workers or 0
        self.started_ray = False

    def _init(self) -> None:
        import ray

        if not ray.is_initialized():
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # keep the C++ core's notices off the console
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
        from ray.data import DataContext

        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        context = DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        if hasattr(context, "enable_fallback_to_arrow_object_ext_type"):
            context.enable_fallback_to_arrow_object_ext_type = False

    def map(self, config: PipelineConfig, units: list[WorkUnit]) -> Iterator[UnitResult]:
        if not units:
            return
        import ray

        self._init()
        size = min(self.workers, len(units))
        # Teacher stages wait on the network: fractional CPUs, or a pool claiming every CPU can hang
        # (ray#44687); each actor keeps its share of max_concurrency in flight.
        teacher = any(t.source == "teacher" for t in config.traces)
        dataset = ray.data.from_items([u.to_dict() for u in units], override_num_blocks=len(units))
        results = dataset.map_batches(
            _bound_processor(json.dumps(_absolute_paths(config)), size),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=size),
            num_cpus=0.25 if teacher else 1,
            batch_format="numpy",
        )
        for row in results.iter_rows():
            unit = WorkUnit(int(row["task_index"]), int(row["start"]), int(row["stop"]))
            yield UnitResult(
                unit, table_from_bytes(row["records"]), table_from_bytes(row["problems"]), json.loads(row["stats"])
            )

    def shutdown(self) -> None:
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
