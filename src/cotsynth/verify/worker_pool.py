"""Persistent, killable worker processes for the symbolic tier (parent side).

A fresh Python importing math-verify costs most of a second, so workers live across calls; a
comparison that overruns its budget gets its worker SIGKILLed (the only interruption that works inside
sympy) and a replacement is started at once. Workers are recycled after `max_tasks` comparisons,
started lazily, capped in address space, and die with their stdin when this process exits.
Only strings and verdicts cross the process boundary.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

_WORKER_SCRIPT = Path(__file__).with_name("symbolic_worker.py")
STARTUP_TIMEOUT_S = 120.0  # generous: importing sympy on a loaded 2-core box


class _Worker:
    def __init__(self, memory_mb: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", str(_WORKER_SCRIPT), str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.buffer = b""
        self.ready = False
        self.tasks = 0

    def read_line(self, deadline: float) -> bytes | None:
        """One line from the worker, or None at the deadline or end of file."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def wait_ready(self) -> bool:
        if not self.ready:
            line = self.read_line(time.monotonic() + STARTUP_TIMEOUT_S)
            self.ready = line is not None and json.loads(line).get("ready") is True
        return self.ready

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            stream.close()


class WorkerPool:
    """`size` symbolic workers shared by the threads of one process."""

    def __init__(self, size: int = 2, max_tasks: int = 500, memory_mb: int = 1024):
        self.size, self.max_tasks, self.memory_mb = size, max_tasks, memory_mb
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.Semaphore(size)
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def compare(self, gold: str, pred: str, timeout_s: float, trees: list | None = None) -> tuple[str, str]:
        """(status, reason) for one pair, killing the worker if it overruns `timeout_s`.

        `trees` (from `algebra.compare`) makes the worker build sympy objects from them directly
        instead of running math-verify on the strings."""
        with self._slots:
            worker = self._checkout()
            if not worker.wait_ready():
                self._discard(worker, replace=False)
                return "unverifiable", "symbolic worker failed to start"
            try:
                request = {"gold": gold, "pred": pred}
                if trees is not None:
                    request["trees"] = trees
                worker.proc.stdin.write(json.dumps(request).encode() + b"\n")
                worker.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self._discard(worker, replace=True)
                return "unverifiable", "symbolic worker crashed"
            line = worker.read_line(time.monotonic() + timeout_s)
            if line is None:
                crashed = worker.proc.poll() is not None
                self._discard(worker, replace=True)
                if crashed:
                    return "unverifiable", "symbolic worker crashed (memory or recursion limit)"
                return "unverifiable", f"symbolic comparison exceeded its {timeout_s:g} s budget"
            reply = json.loads(line)
            worker.tasks += 1
            if worker.tasks >= self.max_tasks:
                self._discard(worker, replace=True)
            else:
                self._idle.put(worker)
            return reply["status"], reply["reason"]

    def _checkout(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            worker = _Worker(self.memory_mb)
            with self._lock:
                self._live.add(worker)
            return worker

    def _discard(self, worker: _Worker, replace: bool) -> None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)
        if replace:  # start importing now, so the next caller waits less
            fresh = _Worker(self.memory_mb)
            with self._lock:
                self._live.add(fresh)
            self._idle.put(fresh)

    def close(self) -> None:
        with self._lock:
            workers, self._live = list(self._live), set()
        for worker in workers:
            worker.kill()
        self._idle = queue.LifoQueue()

    def belongs_here(self) -> bool:
        """False in a forked child, which must not share its parent's worker pipes."""
        return self._pid == os.getpid()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """The process-wide pool, created on first use (size: `COTSYNTH_VERIFY_WORKERS`, default 2)."""
    global _pool
    with _pool_lock:
        if _pool is None or not _pool.belongs_here():
            _pool = WorkerPool(size=int(os.environ.get("COTSYNTH_VERIFY_WORKERS", "2")))
            atexit.register(_pool.close)
        return _pool
