"""This process's progress tally: named counts that the parts of a run add to as they work (a unit's
steps, the teacher client's requests, the rows written), read by whoever shows them.

A step reports here the same way wherever it runs: in the driver (local executor) the display reads
this tally directly; on a Ray actor the executor forwards the actor's tally to the driver every
fraction of a second (`pipeline/executors.py`). Counts never reach the output.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()  # the teacher's event loop, a step and the forwarding thread share the tally
_counts: dict[str, float] = {}


def add(key: str, amount: float = 1) -> None:
    with _lock:
        _counts[key] = _counts.get(key, 0) + amount


def put(key: str, value: float) -> None:
    """Set a count outright (a total, or a level such as the requests in flight)."""
    with _lock:
        _counts[key] = value


def get(key: str) -> float:
    return _counts.get(key, 0)


def snapshot() -> dict[str, float]:
    with _lock:
        return dict(_counts)


def reset() -> None:
    """Start from nothing (the driver, at the start of a run)."""
    with _lock:
        _counts.clear()
