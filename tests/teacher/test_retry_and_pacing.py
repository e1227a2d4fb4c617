"""Which failures are retried and how long the client waits; pacing as a virtual clock (no sleeps)."""

from __future__ import annotations

import asyncio
import random

import aiohttp
import pytest
from multidict import CIMultiDict

from cotsynth.teacher.ratelimit import Pacer
from cotsynth.teacher.retry import Failure, RetryPolicy, connection_failure, status_failure


def status_error(status: int, headers: dict[str, str] | None = None) -> Failure:
    return status_failure(status, CIMultiDict(headers or {}), "x")


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (408, True), (409, True), (500, True), (503, True),
                                                    (400, False), (401, False), (404, False), (422, False)])
def test_retry_only_transient_statuses(status, retryable):
    failure = status_error(status)
    assert failure.reason == f"http_{status}" and failure.retryable is retryable


def test_connection_errors_are_retried_and_a_refusal_is_named():
    assert connection_failure(aiohttp.ServerDisconnectedError()).reason == "connection"
    assert connection_failure(ConnectionResetError()) == Failure("connection", True, detail="ConnectionResetError: ")
    refused = ConnectionRefusedError(111, "Connection refused")
    key = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)
    assert connection_failure(aiohttp.ClientConnectorError(key, refused)).reason == "connection_refused"


def test_retry_after_wins_over_backoff():
    failure = status_error(429, {"Retry-After-Ms": "1500", "retry-after": "9"})  # header names in any case
    assert failure.retry_after == 1.5
    assert status_error(429, {"retry-after": "2"}).retry_after == 2.0
    assert status_error(429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}).retry_after is None
    policy, rng = RetryPolicy(base=0.5, cap=10), random.Random(0)
    assert 1.5 <= policy.delay(1, failure, rng) <= 1.5 + 0.5 / 4
    plain = Failure("http_500", True)
    assert all(0 <= policy.delay(k, plain, rng) <= min(10, 0.5 * 2 ** (k - 1)) for k in range(1, 10))


def test_pacer_spaces_requests_and_charges_tokens_afterwards():
    pacer = Pacer(per_minute=60, burst_seconds=0)  # one per second
    start = pacer._next
    asyncio.run(pacer.wait(0))  # free: no sleep
    pacer.charge(3)  # a completion of 3 "requests" worth: the next callers pay it
    assert pacer._next - start >= 3
