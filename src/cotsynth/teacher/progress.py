"""Teacher request progress: the client's live counters (done, in flight, retries, failed, cached),
kept in this process's progress tally (`core.progress`) under `teacher.<name>`, so the run's display
shows them as they change wherever the client runs."""

from __future__ import annotations

from cotsynth.core import progress

FIELDS = ("done", "in_flight", "retries", "failed", "cached")


class Live:
    """`LIVE.done += 1`: attribute reads and writes go to the tally (one event loop per process
    updates them, so read-then-write needs no lock of its own)."""

    def __getattr__(self, name: str) -> float:
        if name not in FIELDS:
            raise AttributeError(name)
        return progress.get(f"teacher.{name}")

    def __setattr__(self, name: str, value: float) -> None:
        if name not in FIELDS:
            raise AttributeError(name)
        progress.put(f"teacher.{name}", value)


LIVE = Live()
