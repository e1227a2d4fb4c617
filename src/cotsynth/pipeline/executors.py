"""Executors run functions over work items; they know nothing of the pipeline.

Two calls. `map(make, items, cpus=, after=)` runs a per-worker function over items, results in
completion order: `make(workers)` builds the function once per worker (it is told how many workers
share the items, for budgets split among them), and `after(result)` runs on each result where its
output is wanted (on a worker sharing the driver's machine, else on the driver). `imap(fn, items)`
runs a pure function over argument tuples, results in order. `local` runs both in this process
(tests, small runs; an `imap` over a list on threads). `ray` runs them on one pool of Ray actors,
kept from the first item to the last call, embedded on this machine by default or joined to a
cluster (`--ray-address` / `RAY_ADDRESS`). What `make` closes over (the validated config) is shipped
once and built once per actor. The results are the same whichever executor runs them.

Progress: `counts()` (given to the executor) reads a worker's live counts; `worker_counts()` sums
those of the workers that are not this process (on Ray, through `progress_board.py`).
"""

from __future__ import annotations

import itertools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cotsynth.pipeline.progress_board import Counts, ProgressBoard, Sender

UNITS_IN_FLIGHT = 2  # per Ray actor: the next call is queued while one runs

Make = Callable[[int], Callable[[Any], Any]]  # (workers sharing the items) -> the per-item function


class LocalExecutor:
    name = "local"
    MAX_THREADS = 4  # for `imap` over a list: independent calls that release the GIL (eigensolves)

    def __init__(self, workers: int | None = None):
        if workers not in (None, 1):
            raise ValueError("the local executor runs in this process: use --executor ray for --workers > 1")
        self.workers = 1
        self.threads = min(self.MAX_THREADS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

    def map(self, make: Make, items: list, cpus: float = 1, after: Callable | None = None) -> Iterator[Any]:
        fn = make(1)
        for item in items:
            result = fn(item)
            yield after(result) if after else result

    def imap(self, fn: Callable, items: Iterable[tuple]) -> Iterator[Any]:
        """fn(*args) per tuple, results in order. A list (its calls are independent and all known,
        like the report's sample metrics) runs on up to one thread per CPU this process may use,
        submitted before this returns so the caller works meanwhile, as on Ray; an iterator, here."""
        if isinstance(items, (list, tuple)) and len(items) > 1 and self.threads > 1:
            pool = ThreadPoolExecutor(max_workers=min(self.threads, len(items)), thread_name_prefix="cotsynth-imap")
            futures = [pool.submit(fn, *args) for args in items]
            pool.shutdown(wait=False)  # the threads end once the calls are done
            return (future.result() for future in futures)
        return (fn(*args) for args in items)

    def worker_counts(self) -> dict[str, float]:
        """Nothing: the workers are this process, whose counts the caller reads itself."""
        return {}

    def shutdown(self) -> None:
        """Nothing to release: the stages ran in this process."""

    def describe(self) -> dict[str, object]:
        return {"executor": self.name, "workers": 1}


class PoolWorker:
    """The Ray actor: runs a map's per-item function (built once per map, rebuilt after a restart)
    and the pure `imap` calls; its progress counts go to the board."""

    def __init__(self, index: int = 0, board: str | None = None, counts: Counts | None = None, every: float = 0.5) -> None:
        self.key: int | None = None
        self.fn: Callable | None = None
        self.sender = Sender(index, board, counts, every)

    def process(self, key: int, make_ref: list, workers: int, item: Any, after: Callable | None, driver_node: str) -> tuple[bool, Any]:
        """(whether `after` ran here, the result): on the driver's node `after` runs here, so the
        result's bulk never crosses the object store."""
        import ray

        if key != self.key:
            self.fn = ray.get(make_ref[0])(workers)  # the ref sits in a list: fetched only here, once
            self.key = key
        result = self.fn(item)
        self.sender.send()  # the item's final counts, before its result
        if after is not None and ray.get_runtime_context().get_node_id() == driver_node:
            return True, after(result)
        return False, result

    def call(self, fn: Callable, *args: Any) -> Any:
        return fn(*args)


def resolve_ray_address(address: str | None) -> str:
    """`--ray-address`, else `RAY_ADDRESS`, else a new local instance (never a stray `ray start`)."""
    return address or os.environ.get("RAY_ADDRESS") or "local"


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None, counts: Counts | None = None, every: float = 0.5):
        self.address = resolve_ray_address(address)
        self.workers = workers or 0
        self.started_ray = False
        self.actors: list = []
        self.counts, self.every = counts, every
        self.board: Any = None
        self.maps = 0  # one key per map call: actors rebuild their function when it changes

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
            name = f"cotsynth-progress-{os.getpid()}-{id(self)}" if self.counts is not None else None
            self.board = name and ray.remote(ProgressBoard).options(num_cpus=0, name=name).remote()
            worker = ray.remote(PoolWorker).options(num_cpus=num_cpus, max_restarts=-1, max_task_retries=-1)
            self.actors = [worker.remote(k, name, self.counts, self.every) for k in range(self.workers)]
        return self.actors

    def worker_counts(self) -> dict[str, float]:
        """The actors' latest counts, summed ({} before the pool starts, or once it is gone)."""
        import ray

        try:
            return {} if self.board is None else ray.get(self.board.total.remote(), timeout=10)
        except Exception:  # the pool shut down meanwhile: no figures this time
            return {}

    def map(self, make: Make, items: list, cpus: float = 1, after: Callable | None = None) -> Iterator[Any]:
        """A pool of actors fed from a queue, a few items in flight each so none waits between items.

        Plain actors rather than Ray Data: on this 2-core machine Ray Data's actor pool kept each
        worker ~70% busy (59% scaling), plain actors over 90% (benchmarks/throughput.py).
        """
        if not items:
            return
        import ray

        actors = self._pool(num_cpus=cpus)
        self.maps += 1
        make_ref = [ray.put(make)]
        driver_node = ray.get_runtime_context().get_node_id()
        busy = min(len(actors), len(items))  # the workers sharing the items
        queue = list(reversed(items))
        pending: dict = {}

        def submit(actor) -> None:
            if queue:
                call = actor.process.remote(self.maps, make_ref, busy, queue.pop(), after, driver_node)
                pending[call] = actor

        for actor in actors:
            for _ in range(UNITS_IN_FLIGHT):
                submit(actor)
        while pending:
            (done,), _ = ray.wait(list(pending), num_returns=1)
            actor = pending.pop(done)
            ran_after, result = ray.get(done)
            submit(actor)
            yield after(result) if after is not None and not ran_after else result

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
        import ray

        if self.actors:
            for actor in [*self.actors, *([self.board] if self.board is not None else [])]:
                ray.kill(actor)
            self.actors, self.board = [], None
        if self.started_ray:
            ray.shutdown()
            self.started_ray = False

    def describe(self) -> dict[str, object]:
        return {"executor": self.name, "workers": self.workers, "ray_address": self.address}


def make_executor(name: str, workers: int | None = None, ray_address: str | None = None, counts: Counts | None = None, every=0.5):
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(workers, ray_address, counts, every)
    raise ValueError(f"unknown executor {name!r}: use ray or local")
