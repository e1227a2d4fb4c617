"""`imap`, the executors' ordered map for the finalize work: results in order, none lost when an
actor dies mid-call."""

from __future__ import annotations

import contextlib
import functools
import os
import signal

import pyarrow as pa

from cotsynth.pipeline.executors import LocalExecutor, RayExecutor
from test_worker_death import map_worker_pids

# sum(range(n)) is a pure builtin the actors can run: long for big n, so calls finish out of order
CALLS = [(range(n),) for n in (3_000_000, 10, 2_000_000, 5, 1_000_000, 0, 4_000_000, 7)]
EXPECTED = [sum(r) for (r,) in CALLS]


def test_imap_keeps_order_for_lists_and_iterators(ray_session):
    executor = RayExecutor(workers=2)
    try:
        assert list(executor.imap(sum, CALLS)) == EXPECTED  # a list: submitted at once
        assert list(executor.imap(sum, iter(CALLS))) == EXPECTED  # an iterator: drawn as results come
        assert list(executor.imap(sum, [])) == []
    finally:
        executor.shutdown()
    assert list(LocalExecutor().imap(sum, CALLS)) == EXPECTED


def test_imap_survives_a_killed_actor(ray_session):
    executor = RayExecutor(workers=2)
    total = sum(range(12_000_000))
    try:
        results = executor.imap(sum, [(range(12_000_000),)] * 6)  # three calls queued on each actor
        assert next(results) == total
        pids = map_worker_pids()
        assert pids
        for pid in pids:  # both actors: their unfinished calls are retried on the restarted actors
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert list(results) == [total] * 5
    finally:
        executor.shutdown()


def test_actors_on_the_driver_node_save_their_units(ray_session, tmp_path, tiny_document):
    """An actor on the driver's node writes the unit's tables itself and sends only its stats; one on
    another node (here: told the driver is elsewhere) sends the tables for the driver to save."""
    import ray

    from cotsynth.config import parse_config
    from cotsynth.pipeline.parts import part_path, save_tables
    from cotsynth.pipeline.steps import build_chain
    from cotsynth.pipeline.units import WorkUnit

    make = [ray.put(functools.partial(build_chain, parse_config(tiny_document)))]
    executor = RayExecutor(workers=1)
    try:
        (actor,) = executor._pool()
        (tmp_path / ".cotsynth" / "parts").mkdir(parents=True)
        save = functools.partial(save_tables, tmp_path)
        here = ray.get_runtime_context().get_node_id()
        unit = WorkUnit(0, 0, 20)
        saved_there, remote = ray.get(actor.process.remote(1, make, 1, unit, save, "another-node"))
        assert not saved_there and not part_path(tmp_path, unit, "records.arrow").exists()
        assert remote.tables["records"].num_rows > 0
        saved_here, local = ray.get(actor.process.remote(1, make, 1, unit, save, here))
        assert saved_here and local.tables is None and local.stats["kept"] == remote.stats["kept"] > 0
        saved = pa.ipc.open_file(pa.memory_map(str(part_path(tmp_path, unit, "records.arrow")))).read_all()
        assert saved.equals(remote.tables["records"])
    finally:
        executor.shutdown()


def test_map_builds_the_function_once_per_worker_and_runs_after(ray_session):
    """`make(workers)` runs once per worker, told how many workers share the items; `after` runs on
    every result, and every item comes back once whichever executor runs them."""
    items = list(range(12))
    for executor in (LocalExecutor(), RayExecutor(workers=2)):
        try:
            results = list(executor.map(lambda workers: lambda item: 100 * workers + item, items, after=lambda r: ("after", r)))
        finally:
            executor.shutdown()
        workers = 1 if executor.name == "local" else 2
        assert sorted(results) == [("after", 100 * workers + i) for i in items]
