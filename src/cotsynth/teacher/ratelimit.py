"""Client-side pacing for endpoints with published limits (`requests_per_minute`, `tokens_per_minute`).

A pacer is a virtual clock: each cost pushes the next free moment forward by cost / rate, and a
caller waits until its moment comes. Tokens are charged twice: the prompt estimate before sending,
the completion once known (debt the next callers pay), so no guess at the output length is needed.
"""

from __future__ import annotations

import asyncio
import time


class Pacer:
    def __init__(self, per_minute: float, burst_seconds: float = 1.0):
        self.rate = per_minute / 60.0
        self.burst = burst_seconds
        self._next = time.monotonic()

    async def wait(self, cost: float = 1.0) -> None:
        now = time.monotonic()
        start = max(self._next, now - self.burst)
        self._next = start + cost / self.rate
        if start > now:
            await asyncio.sleep(start - now)

    def charge(self, cost: float) -> None:
        self._next = max(self._next, time.monotonic() - self.burst) + cost / self.rate
