"""What `cotsynth run` shows while it works: one line per phase (units, teacher requests, curation,
write, report) with its count, rate and ETA.

On a terminal, a live table redrawn four times a second from the latest counts (the run's watcher
delivers them every half second, from the Ray workers too). Elsewhere (a log file, a pipe, CI), a
plain line every `COTSYNTH_PROGRESS_LOG_SECONDS` seconds (default 10) and one at the end.
"""

from __future__ import annotations

import os
import threading
import time

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from cotsynth.pipeline.progress import Line, Lines, clock

LOG_SECONDS_ENV = "COTSYNTH_PROGRESS_LOG_SECONDS"
DEFAULT_LOG_SECONDS = 10.0


def log_seconds() -> float:
    """The log interval from the environment; an unreadable value is a one-line error, like a bad flag."""
    raw = os.environ.get(LOG_SECONDS_ENV, "")
    try:
        seconds = float(raw) if raw else DEFAULT_LOG_SECONDS
    except ValueError:
        raise ValueError(f"{LOG_SECONDS_ENV}: {raw!r} is not a number of seconds") from None
    if not seconds > 0:
        raise ValueError(f"{LOG_SECONDS_ENV}: {raw!r} must be above 0")
    return seconds


class RunDisplay:
    """`with RunDisplay(console, title) as display: run_pipeline(..., on_progress=display.update)`."""

    def __init__(self, console: Console, title: str, every: float | None = None):
        self.console, self.title = console, title
        self.every = log_seconds() if every is None else every
        self.lines = Lines()
        self.latest: list[Line] = []
        self.started = time.monotonic()
        self.logged = self.started
        self._lock = threading.Lock()
        self.live = Live(console=console, transient=True, refresh_per_second=4, get_renderable=self._render) \
            if console.is_terminal else None

    def __enter__(self) -> RunDisplay:
        if self.live:
            self.live.start()
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if self.live:
            self.live.stop()
        elif self.latest and kind is None:  # the last figures, unless the run failed (its error says why)
            self._log()

    def update(self, counts: dict[str, float]) -> None:
        with self._lock:
            self.latest = self.lines(counts)
        if self.live is None and time.monotonic() - self.logged >= self.every:
            self._log()

    def _log(self) -> None:
        self.logged = time.monotonic()
        with self._lock:
            phases = " | ".join(line.text() for line in self.latest)
        self.console.print(f"{self.title} {clock(self.logged - self.started)} | {phases}", markup=False, highlight=False,
                           soft_wrap=True)

    def _render(self) -> Group:
        with self._lock:
            lines = list(self.latest)
        table = Table.grid(padding=(0, 1))
        for _ in range(6):
            table.add_column()
        for line in lines:
            table.add_row(
                Text(line.phase.name, style="bold"),
                ProgressBar(total=max(line.total, 1), completed=min(line.done, line.total), width=30),
                Text(f"{int(line.done):,}/{int(line.total):,} {line.phase.unit}", justify="right"),
                Text("" if line.rate is None else f"{line.rate:,.1f}/s", style="green", justify="right"),
                Text("" if line.eta is None else f"ETA {clock(line.eta)}", style="cyan"),
                Text(line.detail, style="dim"),
            )
        elapsed = Text(f"{self.title}  {clock(time.monotonic() - self.started)}", style="bold")
        return Group(elapsed, table)
