"""Live request counters of this process, read by the CLI's progress display (local executor)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Live:
    done: int = 0
    in_flight: int = 0
    failed: int = 0
    cached: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        return self.done / max(1e-9, time.monotonic() - self.started)


LIVE = Live()
