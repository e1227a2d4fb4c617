"""Which teacher failures are worth retrying, and how long to wait before the next attempt.

Retried: 429, 408, 409, 5xx, connection errors and timeouts (transient by nature). Not retried: any
other 4xx (the request itself is wrong; sending it again re-bills nothing but wastes time). The wait
is exponential with full jitter (so many clients do not retry in lockstep), unless the server said
how long in `retry-after-ms` / `Retry-After`, which wins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import openai

RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class Failure:
    reason: str  # e.g. "http_429", "timeout", "connection", "connection_refused", "http_400"
    retryable: bool
    retry_after: float | None = None  # seconds, as the server asked
    detail: str = ""


def _refused(error: BaseException) -> bool:
    """Whether a refused connection is behind the error: the aiohttp transport reports one as a
    connect *timeout*, which would send a user looking for a slow server instead of a missing one."""
    seen = 0
    while error is not None and seen < 16:
        if isinstance(error, ConnectionRefusedError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def classify(error: Exception) -> Failure:
    if isinstance(error, openai.APIConnectionError) and _refused(error):
        return Failure("connection_refused", True, detail=str(error)[:200])
    if isinstance(error, openai.APITimeoutError):
        return Failure("timeout", True)
    if isinstance(error, openai.APIConnectionError):
        return Failure("connection", True, detail=str(error)[:200])
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        return Failure(f"http_{status}", status in RETRY_STATUSES or status >= 500,
                       retry_after(error.response.headers), str(error.message)[:200])
    return Failure(f"error_{type(error).__name__}", False, detail=str(error)[:200])


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
