"""`imap`, the executors' ordered map for the finalize work: results in order, none lost when an
actor dies mid-call."""

from __future__ import annotations

import contextlib
import os
import signal

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
