"""The run's phases as a user follows them: the units (the step chain), the teacher requests,
curation, the shards written and the report. Each phase is a count and a total in the progress tally
(`core.progress`: `<phase>.done`, `<phase>.total`), the totals set as they become known; a watcher
thread polls the tally of this process and of the executor's workers every fraction of a second and
hands the counts to a display. `lines` turns counts into one text line per phase, with rate and ETA.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cotsynth.config import PipelineConfig
from cotsynth.core import progress
from cotsynth.pipeline.units import WorkUnit

EVERY = 0.5  # seconds between polls (and between a Ray worker's reports)
CURATION_STAGES = ("read", "dedup", "splits", "leakage", "select")


@dataclass(frozen=True)
class Phase:
    name: str
    unit: str  # what is counted
    done_key: str


PHASES = (
    Phase("units", "problems", "units.problems"),
    Phase("teacher", "requests", "teacher.done"),
    Phase("curation", "stages", "curation.done"),
    Phase("write", "rows", "write.done"),
    Phase("report", "jobs", "report.done"),
)


def plan(config: PipelineConfig, units: list[WorkUnit]) -> None:
    """The totals known before any unit runs: the problems of the units to run, the teacher's requests
    (samples per problem of each task without traces of its own) and curation's stages."""
    progress.reset()
    progress.put("units.total", sum(u.stop - u.start for u in units))
    progress.put("units.count", len(units))
    samples = sum(t.samples for t in config.traces if t.source == "teacher")
    progress.put("teacher.total", samples * sum(u.stop - u.start for u in units if config.tasks[u.task_index].traces is None))
    progress.put("curation.total", len(CURATION_STAGES))


def stage_done(name: str) -> None:
    """A curation stage finished (its name shows until the next one does)."""
    progress.add("curation.done")
    progress.put("curation.stage", CURATION_STAGES.index(name))


def merged(*tallies: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for tally in tallies:
        for key, value in tally.items():
            out[key] = out.get(key, 0) + value
    return out


class Watcher:
    """Calls `show(counts)` every `every` seconds from a thread, and a last time on `stop()`."""

    def __init__(self, worker_counts: Callable[[], dict[str, float]], show: Callable[[dict[str, float]], None],
                 every: float = EVERY):
        self.worker_counts, self.show, self.every = worker_counts, show, every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="cotsynth-watcher")
        self._thread.start()

    def counts(self) -> dict[str, float]:
        return merged(progress.snapshot(), self.worker_counts())

    def _run(self) -> None:
        while not self._stopped.wait(self.every):
            self.show(self.counts())

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self.show(self.counts())


@dataclass
class Line:
    phase: Phase
    done: float
    total: float
    rate: float | None  # per second since the phase started
    eta: float | None  # seconds
    detail: str

    def text(self) -> str:
        rate = "" if self.rate is None else f" {self.rate:,.1f}/s"
        eta = "" if self.eta is None else f" ETA {clock(self.eta)}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.phase.name} {int(self.done):,}/{int(self.total):,} {self.phase.unit}{detail}{rate}{eta}"


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Lines:
    """Counts -> one `Line` per phase with a total. A phase's clock starts when it was last seen at 0
    and stops when it is complete, so its rate is its own."""

    def __init__(self, now: Callable[[], float] = time.monotonic):
        self.now = now
        self.created = now()
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}

    def __call__(self, counts: dict[str, float]) -> list[Line]:
        now, out = self.now(), []
        for phase in PHASES:
            total = counts.get(f"{phase.name}.total", 0)
            done = counts.get(phase.done_key, 0)
            if not done:
                self.started[phase.name] = now
            if not total:
                continue
            if done >= total:
                self.finished.setdefault(phase.name, now)
            elapsed = self.finished.get(phase.name, now) - self.started.get(phase.name, self.created)
            rate = done / elapsed if done and elapsed > 0 else None
            eta = 0.0 if done >= total else (total - done) / rate if rate else None
            out.append(Line(phase, done, total, rate, eta, detail(phase.name, counts)))
        return out


def detail(name: str, counts: dict[str, float]) -> str:
    get = lambda key: int(counts.get(key, 0))  # noqa: E731
    if name == "units":
        return f"{get('units.done')}/{get('units.count')} units"
    if name == "teacher":
        return (f"{get('teacher.in_flight')} in flight, {get('teacher.retries')} retries, {get('teacher.failed')} failed, "
                f"{get('teacher.cached')} cached")
    if name == "curation" and get("curation.done"):
        return f"{CURATION_STAGES[get('curation.stage')]} done"
    return ""
