"""How Ray pool workers' progress counts reach the driver (used by `executors.py`; imports nothing of
cotsynth): each worker sends its latest counts to one small board actor every `every` seconds and
after each item, and the driver asks the board for their sum, so figures move within an item."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

Counts = Callable[[], dict[str, float]]  # a worker's live progress counts


class ProgressBoard:
    """The Ray actor holding each pool worker's latest counts."""

    def __init__(self) -> None:
        self.latest: dict[int, dict[str, float]] = {}

    def put(self, worker: int, counts: dict[str, float]) -> None:
        self.latest[worker] = counts

    def total(self) -> dict[str, float]:
        return dict(sum((Counter(counts) for counts in self.latest.values()), Counter()))


class Sender:
    """In a pool worker: sends `counts()` to the board (the named actor `board`) when they changed,
    from a thread every `every` seconds and on `send()`. A restarted worker starts from its new
    process's counts. By name, not by handle: a handle among an actor's constructor arguments makes
    Ray warn that a restart could fail."""

    def __init__(self, worker: int, board: str | None, counts: Counts | None, every: float) -> None:
        self.worker, self.counts, self.every = worker, counts, every
        self.board: Any = None
        self.sent: dict[str, float] = {}
        if board is not None and counts is not None:
            import ray

            self.board = ray.get_actor(board)
            threading.Thread(target=self._send_every, daemon=True, name="cotsynth-progress").start()

    def _send_every(self) -> None:
        while not time.sleep(self.every):
            self.send()

    def send(self) -> None:
        counts = self.counts() if self.board is not None else self.sent
        if counts != self.sent:
            self.board.put.remote(self.worker, counts)
            self.sent = counts
