"""Teacher request progress: live counters of this process and the column the CLI shows them in.

The local executor updates the counters as requests complete; under Ray the requests run in actors,
so the driver adds each finished unit's counts instead (`add_unit`). Rich redraws the column on its
own refresh thread, so the figures move between units too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rich.progress import ProgressColumn, Task
from rich.text import Text


@dataclass
class Live:
    done: int = 0
    in_flight: int = 0
    failed: int = 0
    cached: int = 0
    started: float = field(default_factory=time.monotonic)

    def add_unit(self, stats: dict[str, Any]) -> None:
        for teacher in stats.get("teacher", []):
            self.done += teacher["samples"]["requested"]
            self.failed += teacher["samples"]["failed"]
            self.cached += teacher["client"]["cache_hits"]


LIVE = Live()


class RequestsColumn(ProgressColumn):
    """`requests 812/4000 (64 in flight, 3 failed, 120 cached) 95.2/s ETA 0:00:33`."""

    def __init__(self, total: int):
        super().__init__()
        self.total = total

    def render(self, task: Task) -> Text:
        if not self.total:
            return Text("")
        live = LIVE
        rate = live.done / max(1e-9, time.monotonic() - live.started)
        eta = "?" if rate <= 0 else time.strftime("%H:%M:%S", time.gmtime((self.total - live.done) / rate))
        return Text(f"requests {live.done}/{self.total} ({live.in_flight} in flight, {live.failed} failed, "
                    f"{live.cached} cached) {rate:.1f}/s ETA {eta}", style="cyan")
