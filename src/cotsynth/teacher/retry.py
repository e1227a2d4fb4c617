"""Which teacher failures are worth retrying, and how long to wait before the next attempt.

Retried: 429, 408, 409, 5xx, connection errors and timeouts (transient by nature). Not retried: any
other 4xx (the request itself is wrong; sending it again re-bills nothing but wastes time). The wait
is exponential with full jitter (so many clients do not retry in lockstep), unless the server said
how long in `retry-after-ms` / `Retry-After`, which wins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class Failure:
    reason: str  # e.g. "http_429", "timeout", "connection", "connection_refused", "http_400"
    retryable: bool
    retry_after: float | None = None  # seconds, as the server asked
    detail: str = ""


def _refused(error: BaseException | None) -> bool:
    """Whether a refused connection is behind the error (aiohttp wraps it as its `os_error`): named
    apart, so a user looks for a missing server rather than a slow one."""
    seen = 0
    while error is not None and seen < 16:
        if isinstance(error, ConnectionRefusedError) or isinstance(getattr(error, "os_error", None), ConnectionRefusedError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def connection_failure(error: BaseException) -> Failure:
    """A request that got no HTTP answer: refused, reset, closed early; always worth retrying."""
    return Failure("connection_refused" if _refused(error) else "connection", True,
                   detail=f"{type(error).__name__}: {error}"[:200])


def status_failure(status: int, headers: object, message: str = "") -> Failure:
    """A non-2xx answer: retried when transient, after the wait the server asked for if it did."""
    return Failure(f"http_{status}", status in RETRY_STATUSES or status >= 500, retry_after(headers), message[:200])


def retry_after(headers: object) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name) if hasattr(headers, "get") else None
        if value is None:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
        if seconds >= 0:
            return seconds
    return None


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    base: float = 0.25
    cap: float = 30.0

    def delay(self, attempt: int, failure: Failure, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if failure.retry_after is not None:
            return min(failure.retry_after, self.cap) + rng.uniform(0, self.base / 4)
        return rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))
